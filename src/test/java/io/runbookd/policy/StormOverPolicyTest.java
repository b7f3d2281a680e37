package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.model.StormMember;
import io.runbookd.testkit.SteppedClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a storm is over (its hold ended and every member settled) and what its one message says. */
class StormOverPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");
  private static final Instant HOLD_ENDS = T0.plusSeconds(60);
  private static final Storm STORM = new Storm(7, "prod", T0, T0.plusSeconds(30), HOLD_ENDS, Duration.ofSeconds(30),
      "oncall", T0, null, 12, List.of());

  private static StormMember member(String connector, IncidentState state, Instant lastAttemptAt) {
    return new StormMember("inc-" + connector, connector, state, lastAttemptAt);
  }

  @Test
  void aStormIsOverWhenItsHoldEndedAndEveryMemberSettled() {
    SteppedClock clock = new SteppedClock(HOLD_ENDS.minusMillis(1));
    StormMember closed = member("a", IncidentState.CLOSED, null);
    StormMember pending = member("b", IncidentState.OPEN, T0.plusSeconds(10));
    assertThat(ClusterGuardPolicy.over(STORM, List.of(closed), clock.instant())).as("the hold lasts").isFalse();
    clock.advanceMillis(1);
    assertThat(ClusterGuardPolicy.over(STORM, List.of(closed), clock.instant())).isTrue();
    assertThat(ClusterGuardPolicy.over(STORM, List.of(closed, pending), clock.instant()))
        .as("an attempt that ended before the hold's end is no post-storm attempt").isFalse();
    assertThat(ClusterGuardPolicy.settled(STORM, member("b", IncidentState.OPEN, HOLD_ENDS))).isFalse();
    assertThat(ClusterGuardPolicy.settled(STORM, member("b", IncidentState.OPEN, HOLD_ENDS.plusMillis(1))))
        .as("its post-storm attempt failed: it waits for its next try").isTrue();
    assertThat(ClusterGuardPolicy.settled(STORM, member("b", IncidentState.REMEDIATING, HOLD_ENDS.plusMillis(1))))
        .as("its fix is being verified").isFalse();
    assertThat(ClusterGuardPolicy.settled(STORM, member("b", IncidentState.REMEDIATING, null))).isFalse();
    assertThat(ClusterGuardPolicy.settled(STORM, member("b", IncidentState.ESCALATED, null))).isTrue();
    assertThat(ClusterGuardPolicy.settled(STORM, member("b", IncidentState.AWAITING_APPROVAL, null))).isTrue();
  }

  @Test
  void theMessageCountsWhatRecoveredAndWhatDidNotWithTheFirstTenNamesOfEach() {
    List<StormMember> members = new ArrayList<>();
    for (int i = 11; i >= 0; i--) {
      members.add(member(String.format("sink-%02d", i), IncidentState.CLOSED, HOLD_ENDS.plusSeconds(5)));
    }
    members.add(member("zeta", IncidentState.CLOSED, null));
    members.add(member("zeta", IncidentState.OPEN, HOLD_ENDS.plusSeconds(9)));
    members.add(member("alpha", IncidentState.ESCALATED, null));
    assertThat(ClusterGuardPolicy.overMessage(STORM, members)).isEqualTo("runbookd: failure storm on Connect cluster"
        + " prod (from 2026-11-28T03:00:00Z) is over: 12 of 14 connectors recovered (sink-00, sink-01, sink-02, sink-03,"
        + " sink-04, sink-05, sink-06, sink-07, sink-08, sink-09 and 2 more); 2 did not (alpha, zeta) and follow their"
        + " own rules now. Open incidents: GET /api/v1/incidents?cluster=prod&state=open");
    assertThat(ClusterGuardPolicy.overMessage(STORM, members.subList(0, 2))).isEqualTo("runbookd: failure storm on"
        + " Connect cluster prod (from 2026-11-28T03:00:00Z) is over: 2 of 2 connectors recovered (sink-10, sink-11);"
        + " 0 did not.");
  }
}
