package io.runbookd.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Working copies of the files users deploy with ({@code alertmanager/}), for a chain on loopback: the same
 * routes, receivers, rules and scrape jobs, with the addresses of this run and, optionally, shorter timings.
 * Only addresses, file paths and the durations of {@link Timings} are changed; everything else is the
 * shipped file as it is.
 */
final class ChainFiles {
  static final Path SHIPPED = Path.of("alertmanager").toAbsolutePath();
  static final Path ALERTMANAGER_YML = SHIPPED.resolve("alertmanager.yml");
  static final Path PROMETHEUS_YML = SHIPPED.resolve("prometheus.yml");
  static final Path RULES_YML = SHIPPED.resolve("kafka-connect.rules.yml");
  static final Path EXPORTER_YML = SHIPPED.resolve("jmx-exporter-connect.yml");
  static final Path RUNBOOKD_YML = Path.of("runbookd.yaml").toAbsolutePath();

  private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE));

  /**
   * Durations of the chain. {@code null} keeps the shipped value.
   *
   * @param scrapeInterval Prometheus {@code scrape_interval}
   * @param evaluationInterval Prometheus {@code evaluation_interval}
   * @param alertFor the {@code for} of every alert rule
   * @param groupWait Alertmanager {@code group_wait} of every route
   * @param groupInterval Alertmanager {@code group_interval} of every route
   * @param repeatInterval Alertmanager {@code repeat_interval} of every route
   */
  record Timings(String scrapeInterval, String evaluationInterval, String alertFor, String groupWait,
      String groupInterval, String repeatInterval) {
    /** The shipped files' own timings. */
    static final Timings SHIPPED = new Timings(null, null, null, null, null, null);
    /** Seconds instead of minutes, for the end-to-end test and the demo. */
    static final Timings FAST = new Timings("1s", "1s", "2s", "1s", "1s", "10m");

    String describe() {
      if (equals(SHIPPED)) {
        return "the shipped files' own timings";
      }
      return "scrape_interval " + or(scrapeInterval, "as shipped") + ", evaluation_interval " + or(evaluationInterval, "as shipped")
          + ", for " + or(alertFor, "as shipped") + ", group_wait " + or(groupWait, "as shipped")
          + ", group_interval " + or(groupInterval, "as shipped") + ", repeat_interval " + or(repeatInterval, "as shipped");
    }

    private static String or(String v, String dflt) {
      return v == null ? dflt : v;
    }
  }

  private ChainFiles() {}

  /** {@code kafka-connect.rules.yml} with {@code for} replaced. */
  static Path rules(Path dir, Timings t) throws IOException {
    ObjectNode root = read(RULES_YML);
    for (JsonNode group : root.withArrayProperty("groups")) {
      for (JsonNode rule : group.withArrayProperty("rules")) {
        if (rule.has("alert") && rule.has("for") && t.alertFor() != null) {
          ((ObjectNode) rule).put("for", t.alertFor());
        }
      }
    }
    return write(dir.resolve("kafka-connect.rules.yml"), root);
  }

  /**
   * {@code prometheus.yml} scraping {@code connectTarget} (job {@code kafka-connect}, label
   * {@code connect_cluster} as shipped) and {@code runbookdTarget} (job {@code runbookd}), alerting to
   * {@code alertmanagerTarget}, with the rules file {@code rules}.
   */
  static Path prometheus(Path dir, Timings t, Path rules, String connectTarget, String runbookdTarget,
      String alertmanagerTarget) throws IOException {
    ObjectNode root = read(PROMETHEUS_YML);
    ObjectNode global = root.withObjectProperty("global");
    if (t.scrapeInterval() != null) {
      global.put("scrape_interval", t.scrapeInterval());
    }
    if (t.evaluationInterval() != null) {
      global.put("evaluation_interval", t.evaluationInterval());
    }
    root.set("rule_files", YAML.createArrayNode().add(rules.toAbsolutePath().toString()));
    ObjectNode am = (ObjectNode) root.withObjectProperty("alerting").withArrayProperty("alertmanagers").get(0).withArrayProperty("static_configs").get(0);
    am.set("targets", YAML.createArrayNode().add(alertmanagerTarget));
    for (JsonNode job : root.withArrayProperty("scrape_configs")) {
      String name = job.get("job_name").asText();
      String target = switch (name) {
        case "kafka-connect" -> connectTarget;
        case "runbookd" -> runbookdTarget;
        default -> throw new IllegalStateException("prometheus.yml: unexpected job " + name);
      };
      ((ObjectNode) job.withArrayProperty("static_configs").get(0)).set("targets", YAML.createArrayNode().add(target));
    }
    return write(dir.resolve("prometheus.yml"), root);
  }

  /** The {@code connect_cluster} label the shipped prometheus.yml puts on the Connect workers. */
  static String connectCluster() throws IOException {
    ObjectNode root = read(PROMETHEUS_YML);
    for (JsonNode job : root.withArrayProperty("scrape_configs")) {
      if ("kafka-connect".equals(job.get("job_name").asText())) {
        return job.withArrayProperty("static_configs").get(0).get("labels").get("connect_cluster").asText();
      }
    }
    throw new IllegalStateException("prometheus.yml has no kafka-connect job");
  }

  /**
   * {@code alertmanager.yml} whose runbookd receiver posts to {@code webhookUrl} with the bearer token in
   * {@code tokenFile}.
   */
  static Path alertmanager(Path dir, Timings t, String webhookUrl, Path tokenFile) throws IOException {
    ObjectNode root = read(ALERTMANAGER_YML);
    timings(root.withObjectProperty("route"), t);
    for (JsonNode receiver : root.withArrayProperty("receivers")) {
      if (!"runbookd".equals(receiver.get("name").asText())) {
        continue;
      }
      ObjectNode webhook = (ObjectNode) receiver.withArrayProperty("webhook_configs").get(0);
      webhook.put("url", webhookUrl);
      webhook.withObjectProperty("http_config").withObjectProperty("authorization")
          .put("credentials_file", tokenFile.toAbsolutePath().toString());
    }
    return write(dir.resolve("alertmanager.yml"), root);
  }

  private static void timings(ObjectNode route, Timings t) {
    if (route.has("group_wait") && t.groupWait() != null) {
      route.put("group_wait", t.groupWait());
    }
    if (route.has("group_interval") && t.groupInterval() != null) {
      route.put("group_interval", t.groupInterval());
    }
    if (route.has("repeat_interval") && t.repeatInterval() != null) {
      route.put("repeat_interval", t.repeatInterval());
    }
    if (route.has("routes")) {
      for (JsonNode child : (ArrayNode) route.get("routes")) {
        timings((ObjectNode) child, t);
      }
    }
  }

  /**
   * The repository's {@code runbookd.yaml} (embedded defaults: SQLite store, the shipped rules, default
   * engine timings) listening on {@code 127.0.0.1:port}, with its store in {@code dataDir}, the Connect
   * cluster that prometheus.yml labels the workers with at {@code connectUrl}, and every notifier posting to
   * {@code notifyBase + "/" + name}. The webhook requires the bearer token in {@code tokenFile}, the one
   * Alertmanager's receiver sends; the operator API is open and {@code dry_run} is off.
   */
  static Path runbookd(Path dir, int port, Path dataDir, String connectUrl, String notifyBase, Path tokenFile) throws IOException {
    ObjectNode root = read(RUNBOOKD_YML);
    root.withObjectProperty("server").put("listen", "127.0.0.1:" + port);
    root.withObjectProperty("server").withObjectProperty("auth").withObjectProperty("webhook")
        .put("bearer_token_file", tokenFile.toAbsolutePath().toString());
    // The shipped file starts in shadow mode with an operator password file; the chain heals for real and
    // its incidents are read (and the demo's URLs opened) on loopback without credentials.
    root.withObjectProperty("server").withObjectProperty("auth").remove("operators");
    root.put("dry_run", false);
    root.withObjectProperty("store").put("data_dir", dataDir.toAbsolutePath().toString());
    ArrayNode paths = YAML.createArrayNode();
    for (JsonNode p : root.withObjectProperty("rules").withArrayProperty("paths")) {
      paths.add(RUNBOOKD_YML.getParent().resolve(p.asText()).normalize().toString());
    }
    root.withObjectProperty("rules").set("paths", paths);
    String cluster = connectCluster();
    JsonNode clusters = root.withObjectProperty("connect_clusters");
    if (!clusters.has(cluster)) {
      throw new IllegalStateException("prometheus.yml labels the Connect workers connect_cluster=\"" + cluster
          + "\" but runbookd.yaml has no such cluster in connect_clusters");
    }
    ((ObjectNode) clusters.get(cluster)).put("url", connectUrl);
    root.withObjectProperty("notifiers").properties().forEach(n -> ((ObjectNode) n.getValue()).put("url", notifyBase + "/" + n.getKey()));
    return write(dir.resolve("runbookd.yaml"), root);
  }

  private static ObjectNode read(Path file) throws IOException {
    return (ObjectNode) YAML.readTree(file.toFile());
  }

  private static Path write(Path file, ObjectNode root) throws IOException {
    Files.createDirectories(file.getParent());
    YAML.writeValue(file.toFile(), root);
    return file;
  }
}
