package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.model.OffsetReset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reset_consumer_group} and the Kafka conditions of {@code wait_for} in rule files. */
class ConsumerGroupStepsTest {
  private static final RuleLoader LOADER = new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("oncall")),
      Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC));

  @TempDir
  Path tmp;

  private List<Step> steps(String steps) throws Exception {
    return LOADER.load(List.of(write(steps))).rules().get(0).steps();
  }

  private Path write(String steps) throws Exception {
    return Files.writeString(tmp.resolve("r.yaml"), "rules:\n  - name: r\n    match:\n"
        + "      alert: ['alertname=\"X\"']\n    target:\n      cluster: prod\n      connector: '{{ labels.connector }}'\n"
        + "    approval: { notify: oncall }\n    steps:\n" + steps);
  }

  private String error(String steps) throws Exception {
    Path f = write(steps);
    return org.assertj.core.api.Assertions.catchThrowableOfType(RuleLoadException.class, () -> LOADER.load(List.of(f)))
        .getMessage();
  }

  @Test
  void resetConsumerGroupForms() throws Exception {
    List<Step> s = steps("      - stop: {}\n"
        + "      - reset_consumer_group: { to: earliest }\n"
        + "      - reset_consumer_group: { group: 'etl-{{ target.connector }}', to: { timestamp: '2026-11-28T10:00:00+01:00' },"
        + " topics: [orders, refunds] }\n"
        + "      - reset_consumer_group: { to: { shift_by: -1000 } }\n"
        + "      - reset_consumer_group: { to: { offset: 42 }, topics: [orders] }\n"
        + "      - reset_consumer_group: { to: latest }\n");
    Step.ResetConsumerGroup a = (Step.ResetConsumerGroup) s.get(1);
    assertThat(a.to()).isEqualTo(new OffsetReset.Earliest());
    assertThat(a.group().source()).isEqualTo("connect-{{ target.connector }}");
    assertThat(a.topics()).isEmpty();
    assertThat(a.destructive()).isTrue();
    Step.ResetConsumerGroup b = (Step.ResetConsumerGroup) s.get(2);
    assertThat(b.to()).isEqualTo(new OffsetReset.Timestamp(Instant.parse("2026-11-28T09:00:00Z")));
    assertThat(b.topics()).containsExactly("orders", "refunds");
    assertThat(b.group().render(Map.of("target", Map.of("connector", "pg")))).isEqualTo("etl-pg");
    assertThat(((Step.ResetConsumerGroup) s.get(3)).to()).isEqualTo(new OffsetReset.ShiftBy(-1000));
    assertThat(((Step.ResetConsumerGroup) s.get(4)).to()).isEqualTo(new OffsetReset.Offset(42));
    assertThat(((Step.ResetConsumerGroup) s.get(5)).to()).isEqualTo(new OffsetReset.Latest());
  }

  @Test
  void resetConsumerGroupErrorsNameTheLine() throws Exception {
    assertThat(error("      - reset_consumer_group: { to: begining }\n"))
        .contains("r.yaml:10: rule \"r\": steps[0].reset_consumer_group.to must be earliest, latest,"
            + " {timestamp: 2026-01-31T12:00:00Z}, {offset: N} or {shift_by: N}, got \"begining\"");
    assertThat(error("      - reset_consumer_group: { group: x }\n"))
        .contains("missing required key \"to\" in steps[0].reset_consumer_group");
    assertThat(error("      - reset_consumer_group: { to: { timestamp: yesterday } }\n"))
        .contains("steps[0].reset_consumer_group.to.timestamp must be an ISO-8601 date and time");
    assertThat(error("      - reset_consumer_group: { to: { offset: -1 } }\n"))
        .contains("steps[0].reset_consumer_group.to.offset must be 0 or more, got -1");
    assertThat(error("      - reset_consumer_group: { to: earliest, topics: [] }\n"))
        .contains("steps[0].reset_consumer_group.topics must name at least one topic");
    assertThat(error("      - reset_consumer_group: { to: { shift: 1 } }\n")).contains("unknown key \"shift\"");
  }

  @Test
  void waitForTakesLagAndDlqQuiet() throws Exception {
    List<Step> s = steps("      - restart: {}\n"
        + "      - wait_for: { state: RUNNING, within: 5m, stable_for: 60s, lag: { falling: true }, dlq_quiet: 2m }\n"
        + "      - wait_for: { within: 10m, lag: { below: 1000 } }\n"
        + "      - wait_for: { state: RUNNING, within: 2m }\n");
    Step.WaitFor a = (Step.WaitFor) s.get(1);
    assertThat(a.kafka()).isEqualTo(io.runbookd.model.KafkaWait.of(true, null, java.time.Duration.ofMinutes(2)));
    assertThat(a.stableFor()).isEqualTo(java.time.Duration.ofSeconds(60));
    Step.WaitFor b = (Step.WaitFor) s.get(2);
    assertThat(b.state()).as("RUNNING is implied").isEqualTo(io.runbookd.model.ConnectorState.RUNNING);
    assertThat(b.kafka()).isEqualTo(io.runbookd.model.KafkaWait.of(false, 1000L, null));
    assertThat(((Step.WaitFor) s.get(3)).kafka()).isNull();
  }

  @Test
  void waitForKafkaErrorsNameTheLine() throws Exception {
    assertThat(error("      - wait_for: { within: 5m, lag: { rising: true } }\n")).contains("r.yaml:10:")
        .contains("unknown key \"rising\" in steps[0].wait_for.lag");
    assertThat(error("      - wait_for: { within: 5m, lag: { falling: false } }\n"))
        .contains("steps[0].wait_for.lag.falling can only be true");
    assertThat(error("      - wait_for: { within: 5m, lag: { below: -3 } }\n"))
        .contains("steps[0].wait_for.lag.below must be a positive number of records");
    assertThat(error("      - wait_for: { within: 5m, dlq_quiet: soon }\n")).contains("steps[0].wait_for.dlq_quiet");
    assertThat(error("      - wait_for: { within: 5m, config_change: true, dlq_quiet: 1m }\n"))
        .contains("steps[0].wait_for takes either config_change: true or lag/dlq_quiet, not both");
  }
}
