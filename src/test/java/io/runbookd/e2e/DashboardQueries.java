package io.runbookd.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every PromQL query of a Grafana dashboard JSON ({@code grafana/dashboards/}), with Grafana's variables
 * replaced the way Grafana does before it sends them to Prometheus, and run against a real Prometheus.
 */
final class DashboardQueries {
  static final Path DASHBOARD = Path.of("grafana", "dashboards", "runbookd-remediation-history.json").toAbsolutePath();
  private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)");

  /** One panel target. */
  record Query(String panel, String refId, String expr, boolean instant) {
    String name() {
      return "\"" + panel + "\" " + refId;
    }
  }

  /** A query variable {@code label_values(selector, label)}. */
  record Variable(String name, String selector, String label) {}

  /**
   * The values Grafana puts in place of its variables.
   *
   * @param job the {@code $job} variable with "All" selected: Grafana's regex of all its values, e.g. {@code (runbookd)}
   * @param rateInterval {@code $__rate_interval}: max($__interval + scrape interval, 4 x scrape interval)
   * @param range {@code $__range}: the dashboard's time range
   * @param interval {@code $__interval}: the step
   */
  record Substitutions(String job, Duration rateInterval, Duration range, Duration interval) {
    String apply(String expr) {
      return expr.replace("$__rate_interval", rateInterval.toSeconds() + "s")
          .replace("$__range", range.toSeconds() + "s")
          .replace("$__interval", interval.toSeconds() + "s")
          .replace("${job}", job)
          .replace("$job", job);
    }
  }

  private DashboardQueries() {}

  static JsonObject load() throws IOException {
    return new JsonObject(Files.readString(DASHBOARD));
  }

  /** All targets of all panels (rows' nested panels included), in order, then the annotation queries. */
  static List<Query> queries(JsonObject dashboard) {
    List<Query> out = new ArrayList<>();
    collect(dashboard.getJsonArray("panels", new JsonArray()), out);
    // Prometheus-backed annotations: range queries over the dashboard's time range.
    for (Object o : dashboard.getJsonObject("annotations", new JsonObject()).getJsonArray("list", new JsonArray())) {
      JsonObject a = (JsonObject) o;
      if (a.containsKey("expr")) {
        out.add(new Query("annotation " + a.getString("name"), "annotation", a.getString("expr"), false));
      }
    }
    return out;
  }

  private static void collect(JsonArray panels, List<Query> out) {
    for (Object o : panels) {
      JsonObject p = (JsonObject) o;
      collect(p.getJsonArray("panels", new JsonArray()), out);
      for (Object t : p.getJsonArray("targets", new JsonArray())) {
        JsonObject target = (JsonObject) t;
        if (target.containsKey("expr")) {
          out.add(new Query(p.getString("title"), target.getString("refId"), target.getString("expr"),
              target.getBoolean("instant", false) && !target.getBoolean("range", false)));
        }
      }
    }
  }

  /** The {@code label_values(...)} query variables. */
  static List<Variable> variables(JsonObject dashboard) {
    List<Variable> out = new ArrayList<>();
    for (Object o : dashboard.getJsonObject("templating").getJsonArray("list")) {
      JsonObject v = (JsonObject) o;
      if (!"query".equals(v.getString("type"))) {
        continue;
      }
      Object q = v.getValue("query");
      String text = q instanceof JsonObject jq ? jq.getString("query") : String.valueOf(q);
      Matcher m = LABEL_VALUES.matcher(text);
      if (!m.matches()) {
        throw new IllegalStateException("variable " + v.getString("name") + ": unsupported query " + text);
      }
      out.add(new Variable(v.getString("name"), m.group(1).trim(), m.group(2)));
    }
    return out;
  }

  /** What one query returned. */
  record Outcome(Query query, String expr, JsonObject response) {
    boolean success() {
      return "success".equals(response.getString("status"));
    }

    JsonArray result() {
      JsonObject data = response.getJsonObject("data");
      return data == null ? new JsonArray() : data.getJsonArray("result", new JsonArray());
    }

    /** True when some sample is a number (not NaN): the panel shows something. */
    boolean hasNumber() {
      for (Object o : result()) {
        JsonObject series = (JsonObject) o;
        List<Object> values = new ArrayList<>();
        if (series.containsKey("value")) {
          values.add(series.getJsonArray("value"));
        }
        series.getJsonArray("values", new JsonArray()).forEach(values::add);
        for (Object v : values) {
          String s = ((JsonArray) v).getString(1);
          if (!"NaN".equals(s)) {
            return true;
          }
        }
      }
      return false;
    }

    @Override
    public String toString() {
      return query.name() + ": " + (success() ? result().size() + " series" + (hasNumber() ? "" : ", all NaN")
          : response.getString("errorType") + ": " + response.getString("error")) + "\n    " + expr;
    }
  }

  /** Runs every query: instant ones at now, the others over [start, now] with {@code s.interval()} steps. */
  static List<Outcome> run(PrometheusProcess prometheus, List<Query> queries, Substitutions s, Instant start)
      throws IOException, InterruptedException {
    List<Outcome> out = new ArrayList<>();
    Instant now = Instant.now();
    for (Query q : queries) {
      String expr = s.apply(q.expr());
      JsonObject r = q.instant() ? prometheus.query(expr) : prometheus.queryRange(expr, start, now, s.interval());
      out.add(new Outcome(q, expr, r));
    }
    return out;
  }
}
