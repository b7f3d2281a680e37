package io.runbookd.policy;

import io.runbookd.model.Approval;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleLoader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How an attempt is cut at its approval gates, and what an approver is told. */
class AttemptPlanTest {
  private static final Instant T0 = Instant.parse("2026-11-22T03:00:00Z");

  private static Rule rule(String approval, String steps) throws Exception {
    return new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("owner", "oncall")), Clock.systemUTC())
        .parse("r.yaml", """
            rules:
              - name: r
                match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
                target: { connector: '{{ labels.connector }}' }
                verify: { within: 2m, stable_for: 30s }
            %s
                steps:
            %s
            """.formatted(approval.isEmpty() ? "" : "    " + approval, steps.indent(6).stripTrailing())).rules().get(0);
  }

  @Test
  void approveStepsCutAnAttemptIntoSegments() throws Exception {
    Rule r = rule("", """
        - notify: { notifier: owner }
        - pause: {}
        - approve: { notify: oncall }
        - stop: {}
        - resume: {}""");
    assertThat(AttemptPlan.segmentEnd(r, 0)).isEqualTo(2);
    assertThat(AttemptPlan.actions(r, 0, 2)).isEqualTo(1);
    assertThat(AttemptPlan.segmentEnd(r, 3)).isEqualTo(5);
    assertThat(AttemptPlan.actions(r, 3, 5)).isEqualTo(2);
    assertThat(AttemptPlan.approvedSteps(r, 2)).containsExactly(3, 4);
    assertThat(AttemptPlan.lastSegment(r, 2)).isTrue();
    assertThat(AttemptPlan.countedBefore(r, 0)).isFalse();
    assertThat(AttemptPlan.countedBefore(r, 3)).as("notify and pause ran before the gate").isTrue();
  }

  @Test
  void aGateBeforeTheStepsCountsNothingBeforeIt() throws Exception {
    Rule r = rule("approval: { required: always, notify: oncall }", "- restart: {}\n- approve: {}\n- restart_task: {}");
    assertThat(r.gateBeforeSteps()).isPresent();
    assertThat(AttemptPlan.countedBefore(r, Approval.BEFORE_STEPS + 1)).isFalse();
    assertThat(AttemptPlan.approvedSteps(r, Approval.BEFORE_STEPS)).containsExactly(0);
    assertThat(AttemptPlan.then(r, Approval.BEFORE_STEPS)).isEqualTo("stop at steps[1].approve for another approval");
    assertThat(AttemptPlan.then(r, 1)).isEqualTo("verify: connector and tasks RUNNING and stable for 30s within 2m");
    assertThat(AttemptPlan.why(r, Approval.BEFORE_STEPS)).isEqualTo("the rule says approval.required: always");
    assertThat(AttemptPlan.why(r, 1)).isEqualTo("the rule has an approve step (steps[1])");
  }

  @Test
  void theApproverIsToldTheIncidentAndExactlyWhatWillRun() throws Exception {
    Rule r = rule("approval: { ttl: 30m, notify: owner }",
        "- patch_config: { set: { errors.tolerance: all }, validate: false }\n- restart: {}");
    Incident inc = new Incident("inc-1", "prod", "orders-sink", "r", IncidentState.AWAITING_APPROVAL, null, 1,
        "java.net.ConnectException: Connection refused", null, T0, T0, null, null, null, null, null, null);
    Approval a = Approval.request("inc-1", 1, Approval.BEFORE_STEPS, T0, Duration.ofMinutes(30), false, "owner",
        AttemptPlan.planJson(r, Approval.BEFORE_STEPS), AttemptPlan.why(r, Approval.BEFORE_STEPS));
    assertThat(a.plan()).isEqualTo("{\"steps\":[{\"index\":0,\"type\":\"patch_config\",\"params\":{\"set\":"
        + "{\"errors.tolerance\":\"all\"},\"validate\":false}},{\"index\":1,\"type\":\"restart\",\"params\":"
        + "{\"includeTasks\":true,\"onlyFailed\":true}}],\"then\":\"verify: connector and tasks RUNNING and stable"
        + " for 30s within 2m\"}");
    assertThat(AttemptPlan.message(inc, r, a)).isEqualTo("""
        runbookd asks for approval to act on prod/orders-sink (incident inc-1, rule r, attempt 1)
        Cause: java.net.ConnectException: Connection refused
        Why: steps[0].patch_config is destructive (errors.tolerance: all can drop records)
        When approved, runbookd will run:
          1. steps[0] patch_config {"set":{"errors.tolerance":"all"},"validate":false}
          2. steps[1] restart {"includeTasks":true,"onlyFailed":true}
          then verify: connector and tasks RUNNING and stable for 30s within 2m
        Approve: POST /api/v1/incidents/inc-1/approve
        Reject:  POST /api/v1/incidents/inc-1/reject
        Without a decision by 2026-11-22T03:30:00Z the rule's default applies: reject.""");
  }

  @Test
  void anUndeliveredRequestIsLookedAtAgainSoonerThanItsExpiry() {
    Approval a = Approval.request("inc-1", 1, -1, T0, Duration.ofMinutes(30), false, "owner", "{}", "why");
    assertThat(AttemptPlan.recheckAt(a, T0, Duration.ofSeconds(30))).isEqualTo(T0.plusSeconds(30));
    assertThat(AttemptPlan.recheckAt(a, T0.plus(Duration.ofMinutes(29)).plusSeconds(45), Duration.ofSeconds(30)))
        .isEqualTo(T0.plus(Duration.ofMinutes(30)));
    Approval told = new Approval("inc-1", 1, -1, T0, T0.plus(Duration.ofMinutes(30)), false, "owner", "{}", "why", T0,
        null, null, null, null, null);
    assertThat(AttemptPlan.recheckAt(told, T0, Duration.ofSeconds(30))).isEqualTo(T0.plus(Duration.ofMinutes(30)));
  }
}
