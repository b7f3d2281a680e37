package io.runbookd.it;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Webhook bodies byte-for-byte as Alertmanager 0.25 posts them
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 *
 * <p>Source facts (prometheus/alertmanager v0.25.0): {@code notify/webhook/webhook.go} encodes
 * {@code Message{*template.Data, version "4", groupKey, truncatedAlerts}} with Go's {@code
 * json.NewEncoder(..).Encode}, so: fields in struct order ({@code receiver, status, alerts, groupLabels,
 * commonLabels, commonAnnotations, externalURL, version, groupKey, truncatedAlerts}), no whitespace, map
 * keys sorted, {@code < > &} escaped as {@code \u003c \u003e \u0026}, and a trailing newline. Each alert
 * is {@code status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint}; times are RFC 3339
 * with nanoseconds and trailing zeros cut ({@code time.RFC3339Nano}); a firing alert's {@code endsAt} is
 * the zero time {@code 0001-01-01T00:00:00Z} ({@code types.Alerts} hides an end that is not reached). The
 * {@code fingerprint} is the FNV-1a label-set hash of {@code prometheus/common/model}, 16 hex digits. The
 * group key is {@code <route key>:<group labels>}, e.g. {@code {}/{alertname=~"KafkaConnect.*"}:{connector="x"}}.
 */
public final class AlertmanagerPayloads {

  /** The {@code User-Agent} header Alertmanager 0.25.0 sends. */
  public static final String USER_AGENT = "Alertmanager/0.25.0";
  /** The {@code Content-Type} header of the webhook. */
  public static final String CONTENT_TYPE = "application/json";
  /** The receiver name used by default. */
  public static final String RECEIVER = "runbookd";
  /** The {@code externalURL} used by default. */
  public static final String EXTERNAL_URL = "http://alertmanager.monitoring.svc:9093";
  /** The route key of {@code route: {routes: [{matchers: [alertname=~"KafkaConnect.*"], receiver: runbookd}]}}. */
  public static final String ROUTE_KEY = "{}/{alertname=~\"KafkaConnect.*\"}";
  /**
   * The {@code group_by} used by default: one group per Connect cluster and connector, as in
   * {@code alertmanager/alertmanager.yml}.
   */
  public static final List<String> GROUP_BY = List.of("connect_cluster", "connector");
  /** The Prometheus URL used to build default {@code generatorURL}s. */
  public static final String PROMETHEUS_URL = "http://prometheus-k8s-0:9090";

  private static final String ZERO_TIME = "0001-01-01T00:00:00Z";
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private AlertmanagerPayloads() {}

  /**
   * A group of one firing alert, with default receiver, route, group-by, annotations and generatorURL.
   *
   * @param labels the alert's other labels; {@code alertname} is added
   */
  public static String firing(String alertname, Map<String, String> labels, Instant startsAt) {
    return group().alert(Alert.firing(withAlertname(alertname, labels), startsAt)).build();
  }

  /** As {@link #firing} for a group of one alert resolved at {@code endsAt}. */
  public static String resolved(String alertname, Map<String, String> labels, Instant startsAt, Instant endsAt) {
    return group().alert(Alert.resolved(withAlertname(alertname, labels), startsAt, endsAt)).build();
  }

  /** A builder for a notification with several alerts or non-default settings. */
  public static Group group() {
    return new Group();
  }

  /**
   * Alertmanager's alert fingerprint: FNV-1a 64 over the sorted label names and values, each followed by
   * the byte 0xFF ({@code prometheus/common/model.labelSetToFingerprint}), as 16 lowercase hex digits.
   */
  public static String fingerprint(Map<String, String> labels) {
    long hash = 0xcbf29ce484222325L;
    for (Map.Entry<String, String> label : new TreeMap<>(labels).entrySet()) {
      hash = fnv1a(hash, label.getKey());
      hash = fnv1a(hash, label.getValue());
    }
    return String.format("%016x", hash);
  }

  private static long fnv1a(long hash, String s) {
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      hash ^= (b & 0xff);
      hash *= 0x100000001b3L;
    }
    hash ^= 0xff;
    return hash * 0x100000001b3L;
  }

  /** Go's {@code time.RFC3339Nano} for a UTC instant: fraction digits without trailing zeros. */
  public static String rfc3339Nano(Instant t) {
    StringBuilder b = new StringBuilder(SECONDS.format(t));
    int nanos = t.getNano();
    if (nanos != 0) {
      String fraction = String.format("%09d", nanos).replaceFirst("0+$", "");
      b.append('.').append(fraction);
    }
    return b.append('Z').toString();
  }

  /** Prometheus' {@code generatorURL} for an alert rule expression ({@code /graph?g0.expr=..&g0.tab=1}). */
  public static String generatorUrl(String expr) {
    String escaped = URLEncoder.encode(expr, StandardCharsets.UTF_8).replace("*", "%2A").replace("%7E", "~");
    return PROMETHEUS_URL + "/graph?g0.expr=" + escaped + "&g0.tab=1";
  }

  private static Map<String, String> withAlertname(String alertname, Map<String, String> labels) {
    Map<String, String> all = new TreeMap<>(labels);
    all.put("alertname", Objects.requireNonNull(alertname, "alertname"));
    return all;
  }

  /**
   * One alert of a notification.
   *
   * @param endsAt empty while firing (sent as the zero time)
   */
  public record Alert(Map<String, String> labels, Map<String, String> annotations, Instant startsAt,
      Optional<Instant> endsAt, String generatorURL) {

    public Alert {
      labels = Map.copyOf(labels);
      annotations = Map.copyOf(annotations);
      Objects.requireNonNull(startsAt, "startsAt");
      Objects.requireNonNull(endsAt, "endsAt");
      Objects.requireNonNull(generatorURL, "generatorURL");
    }

    /** A firing alert with default annotations and generatorURL for its labels. */
    public static Alert firing(Map<String, String> labels, Instant startsAt) {
      return new Alert(labels, defaultAnnotations(labels), startsAt, Optional.empty(), defaultGeneratorUrl(labels));
    }

    /** A resolved alert with default annotations and generatorURL for its labels. */
    public static Alert resolved(Map<String, String> labels, Instant startsAt, Instant endsAt) {
      return new Alert(labels, defaultAnnotations(labels), startsAt, Optional.of(endsAt), defaultGeneratorUrl(labels));
    }

    /** A copy with other annotations. */
    public Alert withAnnotations(Map<String, String> newAnnotations) {
      return new Alert(labels, newAnnotations, startsAt, endsAt, generatorURL);
    }

    /** {@code firing} or {@code resolved}. */
    public String status() {
      return endsAt.isPresent() ? "resolved" : "firing";
    }

    /** This alert's Alertmanager fingerprint. */
    public String fingerprint() {
      return AlertmanagerPayloads.fingerprint(labels);
    }
  }

  /** The annotations the Kafka Connect alert rules shipped with runbookd would give these labels. */
  static Map<String, String> defaultAnnotations(Map<String, String> labels) {
    String connector = labels.getOrDefault("connector", "");
    String cluster = labels.getOrDefault("connect_cluster", "");
    Map<String, String> a = new TreeMap<>();
    if (labels.containsKey("task")) {
      String task = labels.get("task");
      a.put("summary", "Kafka Connect task " + connector + "/" + task + " failed");
      a.put("description", "Task " + task + " of connector " + connector + " on Connect cluster " + cluster
          + " has been FAILED for more than 1 minute.");
    } else {
      a.put("summary", "Kafka Connect connector " + connector + " failed");
      a.put("description", "Connector " + connector + " on Connect cluster " + cluster
          + " has been FAILED for more than 1 minute.");
    }
    return a;
  }

  static String defaultGeneratorUrl(Map<String, String> labels) {
    return generatorUrl(labels.containsKey("task")
        ? "kafka_connect_connector_task_status{status=\"failed\"} == 1"
        : "kafka_connect_connector_status{status=\"failed\"} == 1");
  }

  /** A notification of one alert group. Defaults: {@link #RECEIVER}, {@link #EXTERNAL_URL}, {@link #ROUTE_KEY}, {@link #GROUP_BY}. */
  public static final class Group {
    private String receiver = RECEIVER;
    private String externalUrl = EXTERNAL_URL;
    private String routeKey = ROUTE_KEY;
    private List<String> groupBy = GROUP_BY;
    private int truncatedAlerts;
    private final List<Alert> alerts = new ArrayList<>();

    private Group() {}

    public Group receiver(String value) {
      receiver = Objects.requireNonNull(value);
      return this;
    }

    public Group externalUrl(String value) {
      externalUrl = Objects.requireNonNull(value);
      return this;
    }

    /** The route's key, {@code {}} for the root route, {@code {}/{matchers}} for a child route. */
    public Group routeKey(String value) {
      routeKey = Objects.requireNonNull(value);
      return this;
    }

    /** The route's {@code group_by} label names. */
    public Group groupBy(List<String> labelNames) {
      groupBy = List.copyOf(labelNames);
      return this;
    }

    /** How many alerts {@code max_alerts} dropped. */
    public Group truncatedAlerts(int value) {
      truncatedAlerts = value;
      return this;
    }

    public Group alert(Alert alert) {
      alerts.add(Objects.requireNonNull(alert));
      return this;
    }

    /** The body, including Go's trailing newline. */
    public String build() {
      if (alerts.isEmpty()) {
        throw new IllegalStateException("an Alertmanager notification has at least one alert");
      }
      Map<String, String> groupLabels = new TreeMap<>();
      for (String name : groupBy) {
        String value = alerts.get(0).labels().get(name);
        if (value != null) {
          groupLabels.put(name, value);
        }
      }
      boolean anyFiring = alerts.stream().anyMatch(a -> a.endsAt().isEmpty());

      GoJson json = new GoJson();
      json.beginObject();
      json.name("receiver").value(receiver);
      json.name("status").value(anyFiring ? "firing" : "resolved");
      json.name("alerts").beginArray();
      for (Alert alert : alerts) {
        json.beginObject();
        json.name("status").value(alert.status());
        json.name("labels").value(alert.labels());
        json.name("annotations").value(alert.annotations());
        json.name("startsAt").value(rfc3339Nano(alert.startsAt()));
        json.name("endsAt").value(alert.endsAt().map(AlertmanagerPayloads::rfc3339Nano).orElse(ZERO_TIME));
        json.name("generatorURL").value(alert.generatorURL());
        json.name("fingerprint").value(alert.fingerprint());
        json.endObject();
      }
      json.endArray();
      json.name("groupLabels").value(groupLabels);
      json.name("commonLabels").value(common(alerts.stream().map(Alert::labels).toList()));
      json.name("commonAnnotations").value(common(alerts.stream().map(Alert::annotations).toList()));
      json.name("externalURL").value(externalUrl);
      json.name("version").value("4");
      json.name("groupKey").value(routeKey + ":" + labelSetString(groupLabels));
      json.name("truncatedAlerts").value(truncatedAlerts);
      json.endObject();
      return json.toString() + "\n";
    }

    private static Map<String, String> common(List<Map<String, String>> maps) {
      Map<String, String> common = new LinkedHashMap<>(maps.get(0));
      for (Map<String, String> m : maps.subList(1, maps.size())) {
        common.entrySet().removeIf(e -> !e.getValue().equals(m.get(e.getKey())));
      }
      return common;
    }
  }

  /** {@code model.LabelSet.String()}: {@code {a="1", b="2"}}, names sorted, values Go-quoted. */
  static String labelSetString(Map<String, String> labels) {
    StringBuilder b = new StringBuilder("{");
    for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(e.getKey()).append("=\"").append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\""))
          .append('"');
    }
    return b.append('}').toString();
  }

  /** The subset of Go's {@code encoding/json} output the webhook needs (HTML-safe escaping, sorted maps). */
  private static final class GoJson {
    private final StringBuilder out = new StringBuilder();
    private boolean needComma;

    GoJson beginObject() {
      comma();
      out.append('{');
      needComma = false;
      return this;
    }

    GoJson endObject() {
      out.append('}');
      needComma = true;
      return this;
    }

    GoJson beginArray() {
      out.append('[');
      needComma = false;
      return this;
    }

    GoJson endArray() {
      out.append(']');
      needComma = true;
      return this;
    }

    GoJson name(String name) {
      comma();
      string(name);
      out.append(':');
      needComma = false;
      return this;
    }

    GoJson value(String s) {
      string(s);
      needComma = true;
      return this;
    }

    GoJson value(int n) {
      out.append(n);
      needComma = true;
      return this;
    }

    GoJson value(Map<String, String> map) {
      out.append('{');
      needComma = false;
      for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
        name(e.getKey()).value(e.getValue());
      }
      out.append('}');
      needComma = true;
      return this;
    }

    private void comma() {
      if (needComma) {
        out.append(',');
      }
    }

    private void string(String s) {
      out.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> out.append("\\\"");
          case '\\' -> out.append("\\\\");
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          case '\t' -> out.append("\\t");
          default -> {
            if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
              out.append(String.format("\\u%04x", (int) c));
            } else {
              out.append(c);
            }
          }
        }
      }
      out.append('"');
    }

    @Override
    public String toString() {
      return out.toString();
    }
  }
}
