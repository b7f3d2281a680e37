package io.runbookd.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The pipelines of runbookd.yaml ({@code pipelines.<name>: [source, ..., sink]}): connectors listed in the
 * order the data flows through them, and the order a lifecycle step acts on them, as the runbooks say:
 * pause or stop the source first (nothing new enters while the rest drains or halts), resume the sink
 * first (the destination is ready before data flows again). Pure.
 */
public final class Pipelines {
  private final Map<String, List<String>> byName;

  /**
   * @param byName pipeline name to its connectors in flow order
   * @throws IllegalArgumentException when a pipeline is empty or lists a connector twice
   */
  public Pipelines(Map<String, List<String>> byName) {
    Map<String, List<String>> copy = new TreeMap<>();
    byName.forEach((name, connectors) -> {
      if (connectors == null || connectors.isEmpty()) {
        throw new IllegalArgumentException("pipelines." + name + " lists no connector");
      }
      if (connectors.stream().distinct().count() != connectors.size()) {
        throw new IllegalArgumentException("pipelines." + name + " lists a connector twice: " + connectors);
      }
      copy.put(name, List.copyOf(connectors));
    });
    this.byName = Collections.unmodifiableMap(copy);
  }

  /** No pipeline configured. */
  public static Pipelines none() {
    return new Pipelines(Map.of());
  }

  /** The pipelines by name, sorted by name. */
  public Map<String, List<String>> all() {
    return byName;
  }

  /** The connectors of pipeline {@code name}, in flow order. */
  public Optional<List<String>> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The names of the pipelines that list {@code connector}, sorted. */
  public List<String> containing(String connector) {
    List<String> out = new ArrayList<>();
    byName.forEach((name, connectors) -> {
      if (connectors.contains(connector)) {
        out.add(name);
      }
    });
    return out;
  }

  /**
   * The order in which {@code step} ({@code pause}, {@code stop} or {@code resume}) acts on the connectors
   * of a pipeline: flow order for pause and stop, the reverse for resume.
   */
  public static List<String> order(String step, List<String> connectors) {
    List<String> out = new ArrayList<>(connectors);
    if ("resume".equals(step)) {
      Collections.reverse(out);
    }
    return out;
  }

  /**
   * Which pipeline a step of an incident on {@code connector} acts on: {@code named} when given (an
   * operator's request names it), else the one pipeline listing the connector.
   *
   * @return the pipeline's name, or an error text saying why there is none
   */
  public Choice choose(String connector, String named) {
    if (named != null && !named.isBlank()) {
      List<String> c = byName.get(named);
      if (c == null) {
        return new Choice(null, "pipeline \"" + named + "\" is not in runbookd.yaml (pipelines: "
            + String.join(", ", byName.keySet()) + ")");
      }
      return c.contains(connector) ? new Choice(named, null)
          : new Choice(null, "pipeline \"" + named + "\" does not list connector " + connector);
    }
    List<String> in = containing(connector);
    if (in.isEmpty()) {
      return new Choice(null, "connector " + connector + " is in no pipeline of runbookd.yaml (pipelines: "
          + (byName.isEmpty() ? "none" : String.join(", ", byName.keySet())) + ")");
    }
    if (in.size() > 1) {
      return new Choice(null, "connector " + connector + " is in several pipelines (" + String.join(", ", in)
          + "): an operator names one with POST /api/v1/actions {\"pipeline\": ...}");
    }
    return new Choice(in.get(0), null);
  }

  /**
   * The pipeline chosen, or why none could be.
   *
   * @param name the pipeline's name; null when {@code error} is set
   * @param error why no pipeline was chosen; null when {@code name} is set
   */
  public record Choice(String name, String error) {}

  /** A one-line description: {@code orders: orders-source → orders-sink}. */
  public String describe(String name) {
    List<String> c = byName.get(name);
    return c == null ? name : name + ": " + String.join(" → ", c);
  }

  /** The pipelines as the config gives them (insertion order kept for each list). */
  public static Map<String, List<String>> of(Map<String, List<String>> config) {
    return new LinkedHashMap<>(config);
  }
}
