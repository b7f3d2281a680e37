package io.runbookd.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.model.Outcome;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every {@code runbookd_*} metric, built once against one registry, named by Prometheus' conventions
 * (https://prometheus.io/docs/practices/naming/). Labels are bounded
 * (https://prometheus.io/docs/practices/instrumentation/#do-not-overuse-labels): rule names, action
 * types, outcomes, cluster names, HTTP codes; never fingerprints, connector names or free text.
 */
public final class RunbookdMetrics {
  /**
   * The {@code outcome} values of {@code runbookd_remediations_total}: {@link Outcome#labels()}, how an
   * incident ended and how an attempt ended. Every loaded rule has a series for each of them from the
   * first scrape ({@link #rulesActive}).
   */
  public static final List<String> REMEDIATION_OUTCOMES = Outcome.labels();

  /** The {@code outcome} values of {@code runbookd_actions_total}. */
  public static final List<String> ACTION_OUTCOMES = List.of("ok", "failed", "shadow", "skipped");

  /** The {@code decision} and {@code via} values of {@code runbookd_approvals_total}. */
  public static final List<String> APPROVAL_DECISIONS = List.of("approved", "rejected", "cancelled");

  private static final double[] DURATION_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

  private final PrometheusRegistry registry;
  private final Counter alertsReceived;
  private final Counter webhookRequests;
  private final Counter ruleMatches;
  private final Counter alertsUnmatched;
  private final Counter remediations;
  private final Counter configErrors;
  private final Histogram remediationDuration;
  private final Counter actions;
  private final Histogram actionDuration;
  private final Counter escalations;
  private final Gauge incidentsOpen;
  private final Histogram timeToRecover;
  private final Counter connectRequests;
  private final Gauge rulesLoaded;
  private final Counter rulesReload;
  private final Gauge rulesLastReloadSuccess;
  private final Counter notifications;
  private final Counter guardDeferrals;
  private final Counter storms;
  private final Gauge stormActive;
  private final Counter approvals;
  private final Gauge alertBacklog;
  private final Gauge alertBacklogOldestAge;

  /** Registers everything in {@code registry}; with {@code jvm} also the JVM and process metrics. */
  public RunbookdMetrics(PrometheusRegistry registry, boolean jvm) {
    this.registry = registry;
    alertsReceived = Counter.builder().name("runbookd_alerts_received_total")
        .help("Alerts received from Alertmanager, by alertname and the alert's own status.")
        .labelNames("alertname", "status").register(registry);
    webhookRequests = Counter.builder().name("runbookd_webhook_requests_total")
        .help("Webhook requests by HTTP response code.").labelNames("code").register(registry);
    ruleMatches = Counter.builder().name("runbookd_rule_matches_total")
        .help("Alerts that opened an incident, by the rule that matched.").labelNames("rule").register(registry);
    alertsUnmatched = Counter.builder().name("runbookd_alerts_unmatched_total")
        .help("Firing alerts that no rule matched.").register(registry);
    remediations = Counter.builder().name("runbookd_remediations_total")
        .help("Remediation attempts by rule and outcome (" + String.join(", ", REMEDIATION_OUTCOMES) + ").")
        .labelNames("rule", "outcome").register(registry);
    configErrors = Counter.builder().name("runbookd_config_errors_total")
        .help("Configuration errors found while handling alerts, by kind (unknown_cluster: the alert names no"
            + " configured Connect cluster).")
        .labelNames("kind").register(registry);
    remediationDuration = Histogram.builder().name("runbookd_remediation_duration_seconds")
        .help("Duration of one remediation attempt, steps and verification included.")
        .classicUpperBounds(DURATION_BUCKETS).register(registry);
    actions = Counter.builder().name("runbookd_actions_total")
        .help("Steps run, by rule, action (step type) and outcome (ok, failed, shadow, skipped).")
        .labelNames("rule", "action", "outcome").register(registry);
    actionDuration = Histogram.builder().name("runbookd_action_duration_seconds")
        .help("Duration of one step.").labelNames("action").classicUpperBounds(DURATION_BUCKETS).register(registry);
    escalations = Counter.builder().name("runbookd_escalations_total")
        .help("Escalations delivered, by rule and level (ladder index or gave_up).")
        .labelNames("rule", "level").register(registry);
    incidentsOpen = Gauge.builder().name("runbookd_incidents_open")
        .help("Open incidents by rule.").labelNames("rule").register(registry);
    timeToRecover = Histogram.builder().name("runbookd_time_to_recover_seconds")
        .help("From an incident's opening to its verified recovery.")
        .classicUpperBounds(DURATION_BUCKETS).register(registry);
    connectRequests = Counter.builder().name("runbookd_connect_requests_total")
        .help("Kafka Connect REST requests by cluster, method and HTTP code (-1 = no response).")
        .labelNames("cluster", "method", "code").register(registry);
    rulesLoaded = Gauge.builder().name("runbookd_rules_loaded").help("Rules in the active rule set.").register(registry);
    rulesReload = Counter.builder().name("runbookd_rules_reload_total")
        .help("Rule reloads by outcome (success, failure).").labelNames("outcome").register(registry);
    rulesLastReloadSuccess = Gauge.builder().name("runbookd_rules_last_reload_success_timestamp_seconds")
        .help("Unix time of the last successful rule load.").register(registry);
    notifications = Counter.builder().name("runbookd_notifications_total")
        .help("Notifications sent, by notifier and outcome (ok, failed).").labelNames("notifier", "outcome").register(registry);
    guardDeferrals = Counter.builder().name("runbookd_guard_deferrals_total")
        .help("Attempts or segments deferred by a cluster guard, by Connect cluster and reason (storm, concurrency,"
            + " actions, unhealthy, rebalance).")
        .labelNames("cluster", "reason").register(registry);
    storms = Counter.builder().name("runbookd_storms_total")
        .help("Failure storms detected, by Connect cluster.").labelNames("cluster").register(registry);
    stormActive = Gauge.builder().name("runbookd_storm_active")
        .help("1 while a failure storm pauses automatic actions on the Connect cluster.").labelNames("cluster")
        .register(registry);
    approvals = Counter.builder().name("runbookd_approvals_total")
        .help("Approval gates decided, by rule, decision (approved, rejected, cancelled) and via (human, ttl, runbookd).")
        .labelNames("rule", "decision", "via").register(registry);
    alertBacklog = Gauge.builder().name("runbookd_alerts_backlog")
        .help("Alerts recorded (acknowledged to Alertmanager) but not processed yet, deferred ones included.")
        .register(registry);
    alertBacklogOldestAge = Gauge.builder().name("runbookd_alerts_backlog_oldest_age_seconds")
        .help("Age of the oldest alert recorded but not processed yet; 0 when there is none.").register(registry);
    if (jvm) {
      JvmMetrics.builder().register(registry);
    }
  }

  /**
   * Creates, at 0, the series of every rule of the active rule set (called at each successful load):
   * rule matches, remediations per outcome ({@link #REMEDIATION_OUTCOMES}), steps per action type of the
   * rule and outcome ({@link #ACTION_OUTCOMES}), escalations per ladder level and {@code gave_up},
   * human approval decisions, open incidents. A dashboard's
   * {@code increase()} then counts a rule's first event, which a series born with it would hide.
   * Series of rules no longer loaded are kept with their counts.
   */
  public void rulesActive(Collection<Rule> rules) {
    for (Rule r : rules) {
      String rule = r.name();
      ruleMatches.labelValues(rule);
      incidentsOpen.labelValues(rule);
      for (String outcome : REMEDIATION_OUTCOMES) {
        remediations.labelValues(rule, outcome);
      }
      for (String action : r.steps().stream().map(Step::type).distinct().toList()) {
        actionDuration.labelValues(action);
        for (String outcome : ACTION_OUTCOMES) {
          actions.labelValues(rule, action, outcome);
        }
      }
      for (int level = 0; level < r.escalation().size(); level++) {
        escalations.labelValues(rule, Integer.toString(level));
      }
      escalations.labelValues(rule, "gave_up");
      for (String decision : APPROVAL_DECISIONS) {
        approvals.labelValues(rule, decision, "human");
      }
    }
  }

  /**
   * Creates, at 0, the series known from the config: notifications per notifier and outcome, rule
   * loads per outcome. (Alerts by alertname and Connect requests by HTTP code are only known when they
   * happen.)
   */
  public void configured(Collection<String> notifiers) {
    for (String n : notifiers) {
      notifications.labelValues(n, "ok");
      notifications.labelValues(n, "failed");
    }
    rulesReload.labelValues("success");
    rulesReload.labelValues("failure");
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void alertReceived(String alertname, String status) {
    alertsReceived.labelValues(alertname, status).inc();
  }

  public void webhookRequest(int code) {
    webhookRequests.labelValues(Integer.toString(code)).inc();
  }

  public void ruleMatched(String rule) {
    ruleMatches.labelValues(rule).inc();
  }

  public void alertUnmatched() {
    alertsUnmatched.inc();
  }

  /** As {@link #remediation(String, String, Duration)}, the label from the one list {@link io.runbookd.model.Outcome#labels()}. */
  public void remediation(String rule, io.runbookd.model.Outcome outcome, Duration took) {
    remediation(rule, outcome.label(), took);
  }

  /**
   * One configuration error found while handling an alert, by {@code kind} (e.g. {@code unknown_cluster}:
   * the alert's {@code connect_cluster} names no configured cluster).
   */
  public void configError(String kind) {
    configErrors.labelValues(kind).inc();
  }

  public void remediation(String rule, String outcome, Duration took) {
    remediations.labelValues(rule, outcome).inc();
    if (took != null) {
      remediationDuration.observe(took.toMillis() / 1000.0);
    }
  }

  public void action(String rule, String action, String outcome, Duration took) {
    actions.labelValues(rule, action, outcome).inc();
    actionDuration.labelValues(action).observe(took.toMillis() / 1000.0);
  }

  public void escalation(String rule, String level) {
    escalations.labelValues(rule, level).inc();
  }

  /** Sets {@code runbookd_incidents_open} from a full count per rule; rules absent from the map read 0. */
  public void incidentsOpen(Map<String, Integer> byRule, Iterable<String> knownRules) {
    for (String r : knownRules) {
      incidentsOpen.labelValues(r).set(byRule.getOrDefault(r, 0));
    }
    byRule.forEach((r, n) -> incidentsOpen.labelValues(r).set(n));
  }

  public void recovered(Duration timeToRecoverValue) {
    timeToRecover.observe(timeToRecoverValue.toMillis() / 1000.0);
  }

  public void connectRequest(String cluster, String method, int code) {
    connectRequests.labelValues(cluster, method, Integer.toString(code)).inc();
  }

  public void rulesLoaded(int count, boolean success, long epochMillis) {
    rulesReload.labelValues(success ? "success" : "failure").inc();
    if (success) {
      rulesLoaded.set(count);
      rulesLastReloadSuccess.set(epochMillis / 1000.0);
    }
  }

  public void notification(String notifier, boolean ok) {
    notifications.labelValues(notifier, ok ? "ok" : "failed").inc();
  }

  public void guardDeferral(String cluster, String reason) {
    guardDeferrals.labelValues(cluster, reason).inc();
  }

  /** A storm started on {@code cluster}; the gauge reads 1 until {@link #stormEnded}. */
  public void stormStarted(String cluster) {
    storms.labelValues(cluster).inc();
    stormActive.labelValues(cluster).set(1);
  }

  public void stormEnded(String cluster) {
    stormActive.labelValues(cluster).set(0);
  }

  public void approval(String rule, String decision, String via) {
    approvals.labelValues(rule, decision, via).inc();
  }

  /**
   * Sets the alert backlog gauges.
   *
   * @param unprocessed alerts recorded but not processed
   * @param oldestAge how long ago the oldest of them was received; zero when there is none
   */
  public void alertBacklog(long unprocessed, Duration oldestAge) {
    alertBacklog.set(unprocessed);
    alertBacklogOldestAge.set(oldestAge.isNegative() ? 0 : oldestAge.toMillis() / 1000.0);
  }

  /** The registry in the Prometheus text format 0.0.4. */
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
