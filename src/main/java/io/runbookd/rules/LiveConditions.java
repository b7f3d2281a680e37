package io.runbookd.rules;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.ConsumerGroupSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Checks a rule's {@code match.status} and {@code match.consumer_group} against the live state, line by
 * line for {@code explain}. Pure: the readings are given.
 *
 * <p>{@code lag_growing: W} compares the group's total lag now with the newest earlier reading taken at
 * least {@code W} before this one: it holds when the lag is higher now. Without such a reading the condition
 * is pending until {@code W} after the oldest reading known (or this one).
 */
final class LiveConditions {
  private LiveConditions() {}

  /**
   * @param held every live condition holds (true when the rule has none)
   * @param pending why a {@code lag_growing} cannot be decided yet, when every other condition holds
   * @param until when it can
   * @param lines one explanation line per condition
   * @param summary what held, for the incident's cause, e.g. {@code consumer group connect-x EMPTY, lag 5400}
   */
  record Result(boolean held, Optional<String> pending, Instant until, List<String> lines, String summary) {}

  static Result check(Rule rule, ConnectorTarget target, Optional<ConnectorStatus> status, GroupReading group) {
    List<String> lines = new ArrayList<>();
    List<String> summary = new ArrayList<>();
    boolean held = true;
    Optional<String> pending = Optional.empty();
    Instant until = null;
    Rule.StatusCondition sc = rule.live().status();
    if (sc != null) {
      String want = describe(sc);
      if (status.isEmpty()) {
        held = false;
        lines.add("failed  status " + want + "  (no status for the connector)");
      } else {
        ConnectorStatus s = status.get();
        boolean ok = sc.connector().isEmpty() || sc.connector().contains(s.connector().state());
        if (sc.noTasks()) {
          ok &= s.tasks().isEmpty();
        }
        if (!sc.taskStates().isEmpty()) {
          ok &= s.tasks().stream().anyMatch(t -> sc.taskStates().contains(t.status().state()));
        }
        held &= ok;
        lines.add((ok ? "held    " : "failed  ") + "status " + want + "  (" + describe(s) + ")");
        if (ok) {
          summary.add(describe(s));
        }
      }
    }
    Rule.GroupCondition gc = rule.live().consumerGroup();
    if (gc != null) {
      String groupId = "connect-" + target.connector();
      String want = "consumer_group " + describe(gc);
      if (status.isPresent() && "source".equals(status.get().type())) {
        held = false;
        lines.add("failed  " + want + "  (" + target.connector() + " is a source connector: it has no consumer group)");
      } else if (group == null || group.current() == null) {
        held = false;
        lines.add("failed  " + want + "  (" + groupId + " not read: "
            + (group == null ? "no reading" : group.unavailable()) + ")");
      } else {
        ConsumerGroupSnapshot g = group.current();
        long lag = g.totalLag();
        String seen = g.groupId() + " " + g.state() + ", " + g.members() + " member" + (g.members() == 1 ? "" : "s")
            + ", lag " + lag;
        boolean ok = gc.states().isEmpty() || gc.states().contains(g.state());
        ok &= gc.lagAbove() == null || lag > gc.lagAbove();
        String growing = "";
        boolean wait = false;
        if (gc.lagGrowing() != null) {
          Instant cutoff = g.readAt().minus(gc.lagGrowing());
          Optional<ConsumerGroupSnapshot> before = group.earlier().stream()
              .filter(e -> !e.readAt().isAfter(cutoff))
              .max(Comparator.comparing(ConsumerGroupSnapshot::readAt));
          if (before.isPresent()) {
            long was = before.get().totalLag();
            ok &= lag > was;
            growing = ", lag was " + was + " at " + before.get().readAt();
          } else {
            Instant oldest = group.earlier().stream().map(ConsumerGroupSnapshot::readAt)
                .filter(t -> t.isBefore(g.readAt())).min(Comparator.naturalOrder()).orElse(g.readAt());
            wait = true;
            until = oldest.plus(gc.lagGrowing());
            growing = ", no reading " + Durations.format(gc.lagGrowing()) + " older yet (oldest " + oldest + ")";
          }
        }
        if (!ok) {
          held = false;
          lines.add("failed  " + want + "  (" + seen + growing + ")");
        } else if (wait) {
          pending = Optional.of("needs a reading of " + g.groupId() + " at least " + Durations.format(gc.lagGrowing())
              + " before " + g.readAt() + " for lag_growing");
          lines.add("pending " + want + "  (" + seen + growing + ")");
        } else {
          lines.add("held    " + want + "  (" + seen + growing + ")");
          summary.add("consumer group " + seen + growing);
        }
      }
    }
    boolean all = held && pending.isEmpty();
    return new Result(all, held ? pending : Optional.empty(), until, lines, String.join("; ", summary));
  }

  static String describe(Rule.StatusCondition sc) {
    List<String> parts = new ArrayList<>();
    if (!sc.connector().isEmpty()) {
      parts.add("connector " + String.join("|", names(sc.connector())));
    }
    if (sc.noTasks()) {
      parts.add("tasks none");
    }
    if (!sc.taskStates().isEmpty()) {
      parts.add("a task " + String.join("|", names(sc.taskStates())));
    }
    return String.join(", ", parts);
  }

  static String describe(Rule.GroupCondition gc) {
    List<String> parts = new ArrayList<>();
    if (!gc.states().isEmpty()) {
      parts.add("state " + String.join("|", new TreeSet<>(gc.states())));
    }
    if (gc.lagAbove() != null) {
      parts.add("lag above " + gc.lagAbove());
    }
    if (gc.lagGrowing() != null) {
      parts.add("lag growing over " + Durations.format(gc.lagGrowing()));
    }
    return String.join(", ", parts);
  }

  private static TreeSet<String> names(java.util.Set<ConnectorState> states) {
    TreeSet<String> out = new TreeSet<>();
    states.forEach(s -> out.add(s.name()));
    return out;
  }

  /** E.g. {@code connector RUNNING, task 0 UNASSIGNED}, or {@code connector RUNNING, no tasks}. */
  static String describe(ConnectorStatus s) {
    StringBuilder out = new StringBuilder("connector ").append(s.connector().state());
    if (s.tasks().isEmpty()) {
      out.append(", no tasks");
    }
    for (ConnectorStatus.TaskStatus t : s.tasks()) {
      out.append(", task ").append(t.id()).append(' ').append(t.status().state());
    }
    return out.toString();
  }
}
