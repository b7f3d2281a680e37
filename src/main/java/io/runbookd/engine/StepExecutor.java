package io.runbookd.engine;

import io.runbookd.config.Secrets;
import io.runbookd.model.Incident;

import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectRestException;
import io.runbookd.kafka.KafkaOps;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.notify.Notification;
import io.runbookd.rules.Step;
import io.runbookd.policy.IncidentMessages;
import io.runbookd.policy.StabilityPolicy;
import io.runbookd.rules.Template;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Carries out one {@link Step} against Kafka Connect or a notifier. Each call returns a
 * {@link Result}; it never throws and never fails its future, so the caller can always record the
 * outcome.
 */
final class StepExecutor {
  /**
   * The result of one step.
   *
   * @param outcome {@code ok}, {@code failed}, {@code unknown} (Connect timed out; the action may
   *     have happened: verification decides) or {@code rebalance} (Connect answered 409 after the client's
   *     own retries: a rebalance is under way and nothing was applied)
   * @param error error text when not ok
   * @param before state before, JSON or null
   * @param after state after, JSON or null
   * @param verified for {@code wait_for RUNNING}: the connector held RUNNING for stable_for
   */
  record Result(String outcome, String error, String before, String after, boolean verified) {
    static Result ok(String after) {
      return new Result("ok", null, null, after, false);
    }

    static Result failed(String error) {
      return new Result("failed", error, null, null, false);
    }

    boolean succeeded() {
      return !"failed".equals(outcome) && !rebalance();
    }

    /** Connect refused the call with 409: nothing was applied. */
    boolean rebalance() {
      return "rebalance".equals(outcome);
    }
  }

  /**
   * What a step acts on.
   *
   * @param kafka the Kafka cluster of the incident's Connect cluster ({@code connect_clusters.<name>.kafka}),
   *     empty when runbookd.yaml names none
   * @param stepRunId the stored step run this execution belongs to (for state recorded before acting,
   *     {@code StepRunStore.recordBefore}); 0 when there is none (a preview, a human's retry)
   */
  record Target(Incident incident, ConnectApi api, Map<String, String> labels, Map<String, String> annotations,
      java.util.Optional<KafkaOps> kafka, long stepRunId) {
    Target(Incident incident, ConnectApi api, Map<String, String> labels, Map<String, String> annotations) {
      this(incident, api, labels, annotations, java.util.Optional.empty(), 0);
    }

    Target(Incident incident, ConnectApi api, Map<String, String> labels, Map<String, String> annotations,
        java.util.Optional<KafkaOps> kafka) {
      this(incident, api, labels, annotations, kafka, 0);
    }
  }

  /**
   * Stores {@code before} on the target's step run now, before the step acts (a no-op without a step run):
   * a daemon killed halfway through the step still has the state it found.
   */
  Future<Void> recordBefore(Target t, String before) {
    if (t.stepRunId() <= 0) {
      return Future.succeededFuture();
    }
    return deps.blocking(() -> {
      deps.store().recordBefore(t.stepRunId(), before);
      return null;
    });
  }

  private final EngineDeps deps;

  StepExecutor(EngineDeps deps) {
    this.deps = deps;
  }

  /**
   * Runs {@code step}. The error text of the result has every configured secret masked
   * ({@link Secrets#redactKnown}): it is stored, shown by the API and logged, and a receiver's or a
   * client's error may quote a URL or a path with a secret in it.
   */
  Future<Result> run(Step step, Target t) {
    Future<Result> f;
    try {
      f = dispatch(step, t);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    return recover(step, f).map(r -> r.error() == null ? r
        : new Result(r.outcome(), Secrets.redactKnown(r.error()), r.before(), r.after(), r.verified()));
  }

  private static Future<Result> recover(Step step, Future<Result> f) {
    return f.recover(err -> {
      if (err instanceof ConnectRestException e && e.isConflict() && step.actsOnConnect()) {
        return Future.succeededFuture(new Result("rebalance", e.getMessage(), null, null, false));
      }
      if (err instanceof ConnectRestException e && e.isOutcomeUnknown() && !(step instanceof Step.WaitFor)) {
        return Future.succeededFuture(new Result("unknown", e.getMessage(), null, null, false));
      }
      return Future.succeededFuture(Result.failed(err.getMessage() == null ? err.toString() : err.getMessage()));
    });
  }

  private Future<Result> dispatch(Step step, Target t) {
    ConnectApi api = t.api();
    String name = t.incident().connector();
    if (step instanceof Step.Restart r) {
      return api.restart(name, r.includeTasks(), r.onlyFailed())
          .map(o -> Result.ok(json(Map.of("http_status", o.httpStatus(),
              "status", o.status().map(StabilityPolicy::describe).orElse("")))));
    }
    if (step instanceof Step.RestartTask r) {
      if (r.task().isPresent()) {
        int id = r.task().get();
        return api.restartTask(name, id).map(v -> Result.ok(json(Map.of("restarted_tasks", List.of(id)))));
      }
      return api.status(name).compose(s -> {
        List<Integer> failed = s.failedTaskIds();
        Future<Void> chain = Future.succeededFuture();
        for (int id : failed) {
          chain = chain.compose(v -> api.restartTask(name, id));
        }
        return chain.map(v -> Result.ok(json(Map.of("restarted_tasks", failed))));
      });
    }
    if (PipelineSteps.applies(step)) {
      return new PipelineSteps(deps).run(step, t);
    }
    if (step instanceof Step.Pause) {
      return api.pause(name).map(v -> Result.ok(null));
    }
    if (step instanceof Step.Resume) {
      return api.resume(name).map(v -> Result.ok(null));
    }
    if (step instanceof Step.Stop) {
      return api.stop(name).map(v -> Result.ok(null));
    }
    if (step instanceof Step.PatchConfig p) {
      return patchConfig(rendered(p, t), t);
    }
    if (step instanceof Step.ResetOffsets r) {
      return new OffsetSteps(deps, this).resetOffsets(r, t);
    }
    if (step instanceof Step.Recreate r) {
      return new OffsetSteps(deps, this).recreate(r, t);
    }
    if (step instanceof Step.RevertConfig r) {
      return new OffsetSteps(deps, this).revertConfig(r, t);
    }
    if (step instanceof Step.Snapshot s) return new SnapshotSteps(deps, this).run(s, t);
    if (step instanceof Step.Wait || step instanceof Step.WaitFor) {
      // Waits are stored deadlines that the engine picks up again (see Remediator), never run here.
      return Future.failedFuture(new IllegalStateException(step.type() + " is a stored wait, not an action"));
    }
    if (step instanceof Step.DlqReplay d) return new DlqReplays(deps).run(d, t);
    if (step instanceof Step.Notify n) {
      return notify(n.notifier(), n.message(), t, "step").map(v -> Result.ok(null));
    }
    if (step instanceof Step.ResetConsumerGroup g) return new GroupResetStep().run(g, t, this);
    if (step instanceof Step.Http h) {
      return new HttpSteps(deps).run(h, t);
    }
    if (step instanceof Step.Silence s) {
      return new SilenceSteps(deps).create(s, t);
    }
    return Future.failedFuture(new IllegalStateException("unsupported step " + step.type()));
  }

  /**
   * {@code p} with its template values ({@code {{ target.connector }}-dlq}) rendered in the incident's
   * message context; a value without {@code {{} is taken as written.
   */
  private Step.PatchConfig rendered(Step.PatchConfig p, Target t) {
    if (p.set().values().stream().noneMatch(v -> v != null && v.contains("{{"))) {
      return p;
    }
    Map<String, Object> ctx = IncidentMessages.context(t.incident(), t.labels(), t.annotations(), null,
        deps.notifiers().externalUrl());
    Map<String, String> out = new LinkedHashMap<>();
    p.set().forEach((k, v) -> out.put(k, v == null || !v.contains("{{") ? v : Template.compile(v).render(ctx).strip()));
    return new Step.PatchConfig(out, p.validate());
  }

  /**
   * Merges {@code p.set()} into the connector's config after validating the merged config; the old values are
   * stored as the step's before-state before Connect is changed. Also how {@code revert_config} puts them back.
   */
  Future<Result> patchConfig(Step.PatchConfig p, Target t) {
    ConnectApi api = t.api();
    String name = t.incident().connector();
    return api.config(name).compose(current -> {
      Map<String, String> old = new LinkedHashMap<>();
      p.set().keySet().forEach(k -> old.put(k, current.get(k)));
      Map<String, String> merged = new LinkedHashMap<>(current);
      p.set().forEach((k, v) -> {
        if (v == null) {
          merged.remove(k);
        } else {
          merged.put(k, v);
        }
      });
      Future<Void> validated = Future.succeededFuture();
      if (p.validate()) {
        String cls = current.get("connector.class");
        if (cls == null) {
          return Future.succeededFuture(Result.failed("connector config has no connector.class to validate against"));
        }
        validated = api.validateConfig(cls, merged).compose(errors -> errors.isEmpty()
            ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalArgumentException("config validation failed: " + errors)));
      }
      return validated.compose(v -> recordBefore(t, json(old)))
          .compose(v -> api.patchConfig(name, p.set()))
          .map(after -> {
            Map<String, String> now = new LinkedHashMap<>();
            p.set().keySet().forEach(k -> now.put(k, after.get(k)));
            return new Result("ok", null, json(old), json(now), false);
          });
    });
  }

  /** Renders {@code message} and sends it; a template error still sends, with the error appended. */
  Future<Void> notify(String notifier, Template message, Target t, String kind) {
    Incident inc = t.incident();
    Map<String, Object> base = IncidentMessages.context(inc, t.labels(), t.annotations(), null,
        deps.notifiers().externalUrl());
    // {{ dlq.topic }} / {{ dlq.records }}: read from Kafka only for a message that uses them
    Future<Map<String, Object>> context = message.source().contains("dlq.") && t.api() != null
        ? new DlqReplays(deps).count(t).map(c -> io.runbookd.rules.TemplateContext.withDlq(base, c.getKey(),
            Long.toString(c.getValue()))).recover(err -> Future.succeededFuture(base))
        : Future.succeededFuture(base);
    return context.compose(ctx -> send(notifier, message, ctx, inc, kind));
  }

  private Future<Void> send(String notifier, Template message, Map<String, Object> ctx, Incident inc, String kind) {
    String text;
    try {
      text = message.render(ctx);
    } catch (Template.TemplateException e) {
      text = "[" + inc.rule() + "] " + inc.cluster() + "/" + inc.connector() + ": " + inc.cause()
          + " (message template failed: " + e.getMessage() + ")";
    }
    Notification n = new Notification(kind, "warning", text, inc.id(), inc.rule(), inc.cluster(), inc.connector(),
        inc.cause(), inc.id() + "/" + kind);
    return deps.notifiers().send(notifier, n).onComplete(ar -> deps.metrics().notification(notifier, ar.succeeded()));
  }

  static String json(Object value) {
    return io.runbookd.model.Json.write(value);
  }

  /** Parameters of a step for the record, as JSON. */
  public static String params(Step step) {
    return json(step);
  }

}
