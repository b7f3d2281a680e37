package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.testkit.SteppedClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Send, hold or cancel a due escalation, stepped to the millisecond around a storm's quiet time. */
class EscalationPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");
  private static final Incident OPEN = new Incident("inc-1", "prod", "orders-sink", "refused", IncidentState.OPEN, null, 2,
      "java.net.ConnectException: Connection refused", null, T0, T0, null, null, null, null, null, null);
  private static final Escalation LEVEL_0 = new Escalation("inc-1", 0, T0.plusSeconds(900), "oncall", null, null, null);
  private static final Escalation GAVE_UP = new Escalation("inc-1", Escalation.GAVE_UP, T0, "oncall", null, null, null);

  @Test
  void aDueEscalationOfAnOpenIncidentIsSent() {
    assertThat(EscalationPolicy.decide(LEVEL_0, Optional.of(OPEN), Optional.empty(), T0.plusSeconds(900)))
        .isEqualTo(new EscalationPolicy.Action.Send("escalation", "warning"));
    assertThat(EscalationPolicy.decide(GAVE_UP, Optional.of(OPEN), Optional.empty(), T0))
        .isEqualTo(new EscalationPolicy.Action.Send("gave_up", "critical"));
  }

  @Test
  void aClosedOrDeletedIncidentCancelsIt() {
    Incident closed = OPEN.closed("recovered", T0.plusSeconds(60));
    assertThat(EscalationPolicy.decide(LEVEL_0, Optional.of(closed), Optional.empty(), T0.plusSeconds(900)))
        .isEqualTo(new EscalationPolicy.Action.Cancel());
    assertThat(EscalationPolicy.decide(LEVEL_0, Optional.empty(), Optional.empty(), T0.plusSeconds(900)))
        .isEqualTo(new EscalationPolicy.Action.Cancel());
  }

  @Test
  void aStormHoldsItUntilItsQuietTimeAndNotAMillisecondLonger() {
    SteppedClock clock = new SteppedClock(T0.plusSeconds(930).minusMillis(1));
    Storm storm = new Storm(3, "prod", T0, T0.plusSeconds(900), T0.plusSeconds(930), Duration.ofSeconds(30), "storm", null,
        null, 40, List.of("a", "b"));
    assertThat(EscalationPolicy.decide(LEVEL_0, Optional.of(OPEN), Optional.of(storm), clock.instant()))
        .isEqualTo(new EscalationPolicy.Action.Hold(T0.plusSeconds(930), storm));
    clock.advanceMillis(1);
    assertThat(EscalationPolicy.decide(LEVEL_0, Optional.of(OPEN), Optional.of(storm), clock.instant()))
        .isEqualTo(new EscalationPolicy.Action.Send("escalation", "warning"));
  }

  @Test
  void theGaveUpTextNamesTheConnectorAttemptsAndCause() {
    assertThat(EscalationPolicy.message(GAVE_UP, OPEN, Optional.empty(), Map.of(), Map.of())).isEqualTo(
        "runbookd gave up on orders-sink on prod after 2 attempt(s) (rule refused, incident inc-1):"
            + " java.net.ConnectException: Connection refused");
    assertThat(EscalationPolicy.message(LEVEL_0, OPEN, Optional.empty(), Map.of(), Map.of())).isEqualTo(
        "runbookd: orders-sink on prod still failing after 2 attempt(s) (rule refused, incident inc-1):"
            + " java.net.ConnectException: Connection refused");
  }
}
