package io.runbookd.engine;

import io.runbookd.callout.Silences;
import io.runbookd.config.Secrets;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.SilenceRef;
import io.runbookd.policy.IncidentMessages;
import io.runbookd.rules.Step;
import io.runbookd.rules.Template;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code silence} step and the expiry of the silences it created.
 *
 * <p>The step creates an Alertmanager silence ({@code POST /api/v2/silences}) on the alert being
 * remediated, ending after the step's {@code duration}, and stores its id. A silence that cannot be
 * created (no such Alertmanager, Alertmanager down or refusing) does not stop the remediation: the step
 * ends {@code skipped} with the reason, and the steps after it run. Fixing a connector matters more than
 * muting its alert, and a silence is only ever a courtesy to the people watching the alerts.
 *
 * <p>{@link #expireDue()} (every engine tick) expires ({@code DELETE /api/v2/silence/{id}}) the stored
 * silences of incidents that closed or escalated: an escalated incident is with people again, who must see
 * its alerts. It works from the store, so a restart or another replica still expires them.
 */
final class SilenceSteps {
  private static final Logger LOG = LoggerFactory.getLogger(SilenceSteps.class);
  /** Silences expired per tick at most. */
  private static final int BATCH = 20;
  /** How long a failed expiry waits before it is tried again. */
  private static final Duration RETRY_EXPIRY = Duration.ofSeconds(30);
  /** The {@code createdBy} of every silence runbookd creates. */
  static final String CREATED_BY = "runbookd";

  /** Silence id to the time its expiry may be tried again after a failure (this replica only). */
  private static final Map<String, Instant> BACKOFF = new ConcurrentHashMap<>();

  private final EngineDeps deps;

  SilenceSteps(EngineDeps deps) {
    this.deps = deps;
  }

  Future<StepExecutor.Result> create(Step.Silence s, StepExecutor.Target t) {
    Incident inc = t.incident();
    Optional<Silences> am = deps.alertmanagers().get(s.alertmanager());
    String amName = s.alertmanager() != null ? s.alertmanager()
        : deps.alertmanagers().names().size() == 1 ? deps.alertmanagers().names().get(0) : null;
    if (am.isEmpty()) {
      return Future.succeededFuture(skipped(s.alertmanager() != null
          ? "no Alertmanager \"" + s.alertmanager() + "\" in runbookd.yaml (alertmanagers: "
              + String.join(", ", deps.alertmanagers().names()) + ")"
          : deps.alertmanagers().names().isEmpty() ? "no alertmanagers in runbookd.yaml"
              : "several alertmanagers in runbookd.yaml; the step must name one (silence: {alertmanager: ...})"));
    }
    Map<String, Object> ctx = IncidentMessages.context(inc, t.labels(), t.annotations(), null,
        deps.notifiers().externalUrl());
    List<Silences.Matcher> matchers = new ArrayList<>();
    String comment;
    try {
      if (s.matchers().isEmpty()) {
        Map<String, String> labels = t.labels() == null ? Map.of() : t.labels();
        if (labels.get("alertname") != null) {
          matchers.add(Silences.Matcher.equal("alertname", labels.get("alertname")));
        }
        matchers.add(Silences.Matcher.equal("connector", labels.getOrDefault("connector", inc.connector())));
        if (labels.get("connect_cluster") != null) {
          matchers.add(Silences.Matcher.equal("connect_cluster", labels.get("connect_cluster")));
        }
      } else {
        for (Map.Entry<String, Template> e : s.matchers().entrySet()) {
          matchers.add(Silences.Matcher.equal(e.getKey(), e.getValue().render(ctx)));
        }
      }
      comment = s.comment().render(ctx);
    } catch (Template.TemplateException e) {
      return Future.succeededFuture(skipped("silence template failed: " + e.getMessage()));
    }
    Instant start = deps.now();
    Instant end = start.plus(s.duration());
    return am.get().create(matchers, start, end, CREATED_BY, comment)
        .compose(id -> deps.blocking(() -> {
          deps.store().recordSilence(new SilenceRef(inc.id(), amName, id, start, end, null));
          return id;
        }))
        .map(id -> {
          Map<String, Object> after = new LinkedHashMap<>();
          after.put("alertmanager", amName);
          after.put("silence_id", id);
          after.put("ends_at", end.toString());
          Map<String, String> ms = new LinkedHashMap<>();
          matchers.forEach(m -> ms.put(m.name(), m.value()));
          after.put("matchers", ms);
          return StepExecutor.Result.ok(StepExecutor.json(after));
        })
        .recover(err -> Future.succeededFuture(skipped("the silence was not created: "
            + (err.getMessage() == null ? err.toString() : err.getMessage()))));
  }

  private static StepExecutor.Result skipped(String why) {
    return new StepExecutor.Result("skipped", Secrets.redactKnown(why) + "; the remediation goes on without it", null,
        null, false);
  }

  /** Expires the silences of closed and escalated incidents (see the class description). */
  Future<Void> expireDue() {
    Instant now = deps.now();
    return deps.blocking(() -> deps.store().silencesToExpire(now, BATCH)).compose(due -> {
      Future<Void> chain = Future.succeededFuture();
      for (SilenceRef s : due) {
        Instant retryAt = BACKOFF.get(s.silenceId());
        if (retryAt != null && now.isBefore(retryAt)) {
          continue;
        }
        chain = chain.compose(v -> expire(s));
      }
      return chain;
    });
  }

  private Future<Void> expire(SilenceRef s) {
    Optional<Silences> am = deps.alertmanagers().get(s.alertmanager());
    if (am.isEmpty()) {
      BACKOFF.put(s.silenceId(), deps.now().plus(RETRY_EXPIRY));
      LOG.warn("incident={} silence={} alertmanager={} msg=\"cannot expire the silence: this Alertmanager is no longer"
          + " in runbookd.yaml; it ends by itself at {}\"", s.incidentId(), s.silenceId(), s.alertmanager(), s.endsAt());
      return Future.succeededFuture();
    }
    return am.get().expire(s.silenceId())
        .compose(v -> deps.blocking(() -> {
          Instant now = deps.now();
          deps.store().silenceExpired(s.incidentId(), s.alertmanager(), s.silenceId(), now);
          deps.store().addEvent(s.incidentId(), new IncidentEvent(now, "silence_expired", "Alertmanager silence "
              + s.silenceId() + " (" + s.alertmanager() + ") expired: the incident is no longer being remediated"));
          BACKOFF.remove(s.silenceId());
          LOG.info("incident={} silence={} alertmanager={} msg=\"silence expired\"", s.incidentId(), s.silenceId(),
              s.alertmanager());
          return (Void) null;
        }))
        .recover(err -> {
          BACKOFF.put(s.silenceId(), deps.now().plus(RETRY_EXPIRY));
          LOG.warn("incident={} silence={} alertmanager={} msg=\"could not expire the silence (tried again in {}): {}\"",
              s.incidentId(), s.silenceId(), s.alertmanager(), RETRY_EXPIRY, Secrets.redactKnown(err.getMessage()));
          return Future.succeededFuture();
        });
  }
}
