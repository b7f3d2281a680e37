package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.alert.LabelMatcher;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import io.runbookd.rules.Template;
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
    assertThat(EscalationPolicy.message(GAVE_UP, OPEN, Optional.empty(), Map.of(), Map.of(), null)).isEqualTo(
        "runbookd gave up on orders-sink on prod after 2 attempt(s) (rule refused, incident inc-1):"
            + " java.net.ConnectException: Connection refused");
    assertThat(EscalationPolicy.message(LEVEL_0, OPEN, Optional.empty(), Map.of(), Map.of(), null)).isEqualTo(
        "runbookd: orders-sink on prod still failing after 2 attempt(s) (rule refused, incident inc-1):"
            + " java.net.ConnectException: Connection refused");
  }

  private static final Template LEVEL_MESSAGE = Template.compile("{{ target.connector }} still failing: {{ trace.cause }}");

  private static Rule ladder(List<Step> steps, Duration... after) {
    List<Rule.EscalationLevel> levels = new java.util.ArrayList<>();
    for (int i = 0; i < after.length; i++) {
      levels.add(new Rule.EscalationLevel(after[i], i == 0 ? "oncall" : "manager", LEVEL_MESSAGE));
    }
    return new Rule("refused", "", new Rule.Source("t.yaml", 1), List.of(LabelMatcher.parse("alertname=\"X\"")),
        Optional.empty(), new Rule.Target(Template.compile("prod"), Template.compile("orders-sink")),
        new Rule.RetryPolicy(1, List.of(Duration.ofMinutes(1)), Duration.ofMinutes(30)),
        new Rule.Verify(Duration.ofMinutes(2), Duration.ofSeconds(30)), steps, levels, false);
  }

  @Test
  void givingUpSendsTheNextPendingLevelNowAndLeavesTheLaterLevelsAtTheirTimes() {
    SteppedClock clock = new SteppedClock(T0);
    Rule rule = ladder(List.of(), Duration.ofMinutes(15), Duration.ofMinutes(60));
    List<Escalation> stored = RemediationPolicy.ladder(rule, "inc-1", clock.instant());
    clock.advance(Duration.ofMinutes(3));
    EscalationPolicy.GiveUp g = EscalationPolicy.giveUp(rule, stored, "inc-1", clock.instant());
    assertThat(g).isEqualTo(new EscalationPolicy.GiveUp.Advance(0, "oncall", T0.plusSeconds(900)));
    // the 60m level is untouched: the store moves only level 0, and no "gave up" page is added
    assertThat(EscalationPolicy.pages(rule, Optional.of(Duration.ofMinutes(3))))
        .containsExactly("3m oncall (gave up)", "1h manager");
    assertThat(EscalationPolicy.pages(rule, Optional.empty())).containsExactly("15m oncall", "1h manager");
  }

  @Test
  void givingUpAfterTheFirstLevelWasSentBringsTheSecondForward() {
    SteppedClock clock = new SteppedClock(T0);
    Rule rule = ladder(List.of(), Duration.ofMinutes(15), Duration.ofMinutes(60));
    List<Escalation> stored = RemediationPolicy.ladder(rule, "inc-1", clock.instant());
    clock.advance(Duration.ofMinutes(20));
    Escalation sent = stored.get(0);
    stored = List.of(new Escalation("inc-1", 0, sent.dueAt(), "oncall", null, T0.plusSeconds(900), null), stored.get(1));
    assertThat(EscalationPolicy.giveUp(rule, stored, "inc-1", clock.instant()))
        .isEqualTo(new EscalationPolicy.GiveUp.Advance(1, "manager", T0.plusSeconds(3600)));
    assertThat(EscalationPolicy.pages(rule, Optional.of(Duration.ofMinutes(20))))
        .containsExactly("15m oncall", "20m manager (gave up)");
  }

  @Test
  void givingUpWhenEveryLevelWasSentPagesNobodyAgain() {
    Rule rule = ladder(List.of(), Duration.ofMinutes(15));
    List<Escalation> stored = List.of(new Escalation("inc-1", 0, T0.plusSeconds(900), "oncall", null, T0.plusSeconds(900), null));
    assertThat(EscalationPolicy.giveUp(rule, stored, "inc-1", T0.plusSeconds(1800)))
        .isEqualTo(new EscalationPolicy.GiveUp.AlreadyPaged());
    assertThat(EscalationPolicy.pages(rule, Optional.of(Duration.ofMinutes(30)))).containsExactly("15m oncall");
  }

  @Test
  void aRuleWithoutALadderStillGetsItsOneGaveUpPage() {
    Rule rule = ladder(List.of(new Step.Notify("owner", Template.compile("m"))));
    EscalationPolicy.GiveUp g = EscalationPolicy.giveUp(rule, List.of(), "inc-1", T0.plusSeconds(180));
    assertThat(g).isEqualTo(new EscalationPolicy.GiveUp.Page(
        new Escalation("inc-1", Escalation.GAVE_UP, T0.plusSeconds(180), "owner", null, null, null)));
    assertThat(EscalationPolicy.pages(rule, Optional.of(Duration.ofMinutes(3)))).containsExactly("3m owner (gave up)");
    assertThat(EscalationPolicy.giveUp(ladder(List.of()), List.of(), "inc-1", T0)).isEqualTo(new EscalationPolicy.GiveUp.Nobody());
  }

  @Test
  void aLevelBroughtForwardByGivingUpIsCriticalAndCarriesTheReasonWithTheLevelsOwnMessage() {
    Rule rule = ladder(List.of(), Duration.ofMinutes(15));
    Escalation advanced = new Escalation("inc-1", 0, T0.plusSeconds(180), "oncall", "attempt budget spent (1 of 1)", null, null);
    assertThat(EscalationPolicy.decide(advanced, Optional.of(OPEN), Optional.empty(), T0.plusSeconds(180)))
        .isEqualTo(new EscalationPolicy.Action.Send("gave_up", "critical"));
    assertThat(EscalationPolicy.message(advanced, OPEN, Optional.of(rule), Map.of(), Map.of(), null)).isEqualTo(
        "runbookd gave up after 2 attempt(s): attempt budget spent (1 of 1). orders-sink still failing:"
            + " java.net.ConnectException: Connection refused");
  }

  @Test
  void aLevelsMessageLinksTheIncidentPageUnderTheExternalUrl() {
    Rule rule = new Rule("refused", "", new Rule.Source("t.yaml", 1), List.of(LabelMatcher.parse("alertname=\"X\"")),
        Optional.empty(), new Rule.Target(Template.compile("prod"), Template.compile("orders-sink")),
        new Rule.RetryPolicy(1, List.of(Duration.ofMinutes(1)), Duration.ofMinutes(30)),
        new Rule.Verify(Duration.ofMinutes(2), Duration.ofSeconds(30)), List.of(),
        List.of(new Rule.EscalationLevel(Duration.ofMinutes(15), "oncall", Template.compile("fix it: {{ incident.url }}"))),
        false);
    assertThat(EscalationPolicy.message(LEVEL_0, OPEN, Optional.of(rule), Map.of(), Map.of(), "https://rb.example.com"))
        .isEqualTo("fix it: https://rb.example.com/ui/incidents/inc-1");
    assertThat(EscalationPolicy.message(LEVEL_0, OPEN, Optional.of(rule), Map.of(), Map.of(), null))
        .as("without server.external_url: the path alone").isEqualTo("fix it: /ui/incidents/inc-1");
  }
}
