package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.OffsetReset;
import io.runbookd.model.PartitionLag;
import io.runbookd.model.TopicPartition;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupResetPlanTest {
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P1 = new TopicPartition("orders", 1);
  private static final TopicPartition P2 = new TopicPartition("orders", 2);
  private static final Map<TopicPartition, Long> START = Map.of(P0, 100L, P1, 0L, P2, 0L);
  private static final Map<TopicPartition, Long> END = Map.of(P0, 5_000L, P1, 800L, P2, 40L);

  /** Committed 1,200 on 0, 800 (at the end) on 1, nothing on 2. */
  private static ConsumerGroupSnapshot group(String state, int members) {
    return new ConsumerGroupSnapshot("connect-orders-sink", state, members, List.of(
        new PartitionLag("orders", 0, 1_200L, 100, 5_000), new PartitionLag("orders", 1, 800L, 0, 800)),
        Instant.EPOCH);
  }

  private static GroupResetPlan plan(OffsetReset to, List<TopicPartition> scope) {
    return GroupResetPlan.compute(group("EMPTY", 0), to, scope, START, END, Map.of(P0, 4_000L, P1, 800L, P2, 40L));
  }

  @Test
  void earliestMovesEachPartitionToItsLogStartAndCountsTheLagItCreates() {
    GroupResetPlan p = plan(new OffsetReset.Earliest(), List.of(P2, P0, P1));
    assertThat(p.offsets()).isEqualTo(Map.of(P0, 100L, P1, 0L, P2, 0L));
    assertThat(p.moves()).extracting(GroupResetPlan.Move::from).containsExactly(1_200L, 800L, null);
    assertThat(p.lagAfter()).isEqualTo(4_900 + 800 + 40);
    assertThat(p.skipped()).isEmpty();
    assertThat(p.lines()).containsExactly(
        "reset consumer group connect-orders-sink to earliest: 3 partitions; lag after: 5,740 (group EMPTY, 0 members when read)",
        "orders-0: 1,200 → 100 (lag 4,900)",
        "orders-1: 800 → 0 (lag 800)",
        "orders-2: no committed offset → 0 (lag 40)");
  }

  @Test
  void latestSkipsEverythingAndLeavesAlonePartitionsAlreadyThere() {
    GroupResetPlan p = plan(new OffsetReset.Latest(), List.of(P0, P1));
    assertThat(p.offsets()).isEqualTo(Map.of(P0, 5_000L));
    assertThat(p.lagAfter()).isZero();
    assertThat(p.skipped()).containsExactly(new GroupResetPlan.Skip(P1, "already at offset 800"));
    assertThat(p.lines()).contains("orders-1: left alone, already at offset 800");
  }

  @Test
  void timestampUsesTheOffsetKafkaFoundForTheTime() {
    GroupResetPlan p = plan(new OffsetReset.Timestamp(Instant.parse("2026-11-28T12:00:00Z")), List.of(P0));
    assertThat(p.offsets()).isEqualTo(Map.of(P0, 4_000L));
    assertThat(p.lines().get(0)).contains("to timestamp 2026-11-28T12:00:00Z");
    GroupResetPlan unread = GroupResetPlan.compute(group("EMPTY", 0), new OffsetReset.Timestamp(Instant.EPOCH),
        List.of(P0), START, END, Map.of());
    assertThat(unread.moves()).isEmpty();
    assertThat(unread.skipped()).singleElement().extracting(GroupResetPlan.Skip::reason).asString()
        .contains("could not be read");
  }

  @Test
  void anOffsetOrAShiftIsKeptWithinTheLog() {
    GroupResetPlan to = plan(new OffsetReset.Offset(50), List.of(P0, P1, P2));
    assertThat(to.offsets()).isEqualTo(Map.of(P0, 100L, P1, 50L, P2, 40L));
    assertThat(to.moves().get(0).note()).isEqualTo("kept within the log: 50 is before the log start 100");
    assertThat(to.moves().get(2).note()).isEqualTo("kept within the log: 50 is after the log end 40");

    GroupResetPlan back = plan(new OffsetReset.ShiftBy(-500), List.of(P0, P1, P2));
    assertThat(back.offsets()).isEqualTo(Map.of(P0, 700L, P1, 300L));
    assertThat(back.skipped()).containsExactly(new GroupResetPlan.Skip(P2, "no committed offset to shift from"));
    GroupResetPlan far = plan(new OffsetReset.ShiftBy(Long.MAX_VALUE), List.of(P0));
    assertThat(far.offsets()).isEqualTo(Map.of(P0, 5_000L));
  }

  @Test
  void withoutTopicsTheScopeIsWhatTheGroupHasOffsetsFor() {
    assertThat(GroupResetPlan.scope(group("EMPTY", 0), List.of())).containsExactly(P0, P1);
    assertThat(GroupResetPlan.scope(group("EMPTY", 0), List.of(P2, P2))).containsExactly(P2);
  }

  @Test
  void aGroupWithMembersIsRefusedNamingItsStateAndMembers() {
    assertThat(GroupResetPlan.refusal(group("STABLE", 2))).contains("consumer group connect-orders-sink has 2 active"
        + " members (STABLE); its offsets can only be reset when it is EMPTY: stop the connector first");
    assertThat(GroupResetPlan.refusal(group("PREPARING_REBALANCE", 1)).orElseThrow()).contains("1 active member (");
    assertThat(GroupResetPlan.refusal(group("EMPTY", 0))).isEmpty();
    assertThat(GroupResetPlan.refusal(group("DEAD", 0))).as("no such group yet: its offsets can be set").isEmpty();
  }

  @Test
  void theStoredPlanHasEveryPartition() {
    Map<String, Object> m = plan(new OffsetReset.ShiftBy(-500), List.of(P0, P2)).toMap();
    assertThat(m).containsEntry("group", "connect-orders-sink").containsEntry("to", "shift_by -500")
        .containsEntry("state", "EMPTY");
    assertThat(io.runbookd.model.Json.write(m)).contains("\"from\":1200", "\"to\":700", "\"lag_after\":4300",
        "\"reason\":\"no committed offset to shift from\"");
  }
}
