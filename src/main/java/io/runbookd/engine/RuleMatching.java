package io.runbookd.engine;

import io.runbookd.model.AlertEvent;
import io.runbookd.policy.AlertPolicy;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleIndex;
import io.runbookd.rules.RuleSet;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Rule matching on a small pool of its own (named {@value #POOL}): label matchers, target templates and
 * trace patterns never run on an event loop, nor on a thread that delivers escalations, receives
 * webhooks or talks to the store, so a slow match delays only the alerts waiting for a match. Futures
 * complete on the caller's Vert.x context.
 */
final class RuleMatching {
  /** The name of the pool; its threads are named {@code runbookd-match-N}. */
  static final String POOL = "runbookd-match";

  /**
   * A claimed alert event with the rules it was matched against and the lane it belongs to.
   *
   * @param event the alert event
   * @param rules the rule set its candidates come from
   * @param candidates the rules whose label matchers hold, with their rendered targets, in rule order
   *     (found through a {@link RuleIndex})
   * @param key the lane: the first rendered target ({@code cluster/connector}), or the alert's
   *     fingerprint when no rule's labels hold. A firing alert and its resolution share a lane.
   */
  record Keyed(AlertEvent event, RuleSet rules, List<RuleEvaluator.Candidate> candidates, String key) {
    Keyed {
      Objects.requireNonNull(event, "event");
      Objects.requireNonNull(rules, "rules");
      candidates = List.copyOf(candidates);
      Objects.requireNonNull(key, "key");
    }
  }

  private final WorkerExecutor executor;
  /** The index of the rule set matched last (rebuilt, on the pool, when the set in force changes). */
  private volatile RuleIndex index;

  /**
   * @param vertx where the pool lives
   * @param threads its size; positive
   */
  RuleMatching(Vertx vertx, int threads) {
    if (threads <= 0) {
      throw new IllegalArgumentException("threads must be positive, got " + threads);
    }
    // A match over a long trace may legitimately take seconds: warn about a blocked thread only after 60 s.
    executor = vertx.createSharedWorkerExecutor(POOL, threads, 60, TimeUnit.SECONDS);
  }

  /** The candidates and lane of each event, in the given order, computed in one task. */
  Future<List<Keyed>> key(RuleSet rules, List<AlertEvent> events) {
    Objects.requireNonNull(rules, "rules");
    List<AlertEvent> copy = List.copyOf(events);
    if (copy.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return executor.executeBlocking(() -> {
      RuleIndex idx = indexOf(rules);
      List<Keyed> out = new ArrayList<>(copy.size());
      for (AlertEvent e : copy) {
        List<RuleEvaluator.Candidate> candidates = RuleEvaluator.heldCandidates(idx, e.labels(), e.annotations());
        String key = candidates.stream().flatMap(c -> c.target().stream()).findFirst()
            .map(RuleMatching::laneOf).orElse("fingerprint/" + e.fingerprint());
        out.add(new Keyed(e, rules, candidates, key));
      }
      return out;
    }, false);
  }

  /** The index of {@code rules}: the one built last when it is of the same set, else a new one. */
  private RuleIndex indexOf(RuleSet rules) {
    RuleIndex i = index;
    if (i == null || i.rules() != rules) {
      i = RuleIndex.of(rules);
      index = i;
    }
    return i;
  }

  /** {@link AlertPolicy#decide} (which runs the trace patterns) on the pool. */
  Future<AlertPolicy.Verdict> decide(Instant receivedAt, Instant now, List<RuleEvaluator.Candidate> candidates,
      Map<ConnectorTarget, AlertPolicy.Lookup> lookups, Map<ConnectorTarget, io.runbookd.rules.GroupReading> groups) {
    return executor.executeBlocking(() -> AlertPolicy.decide(receivedAt, now, candidates, lookups, groups), false);
  }

  /** Closes the pool; a match in progress finishes. */
  Future<Void> close() {
    return executor.close();
  }

  static String laneOf(ConnectorTarget t) {
    return "connector/" + t.cluster() + "\u0000" + t.connector();
  }
}
