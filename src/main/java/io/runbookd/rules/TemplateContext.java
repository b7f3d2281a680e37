package io.runbookd.rules;

import io.pebbletemplates.pebble.error.AttributeNotFoundException;
import io.pebbletemplates.pebble.error.RootAttributeNotFoundException;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The variables a rule's templates can use, and the maps to render them with.
 *
 * <p>Two kinds of template exist:
 *
 * <ul>
 *   <li><b>target</b> templates ({@code target.cluster}, {@code target.connector}) are rendered
 *       when an alert arrives, before anything is known about the connector. They see
 *       {@code labels}, {@code annotations} and {@code rule.name}.
 *   <li><b>message</b> templates ({@code notify} steps, escalation messages) are rendered when
 *       they are sent. They also see {@code target.cluster}, {@code target.connector},
 *       {@code incident.id}, {@code incident.attempts}, {@code incident.state}, {@code incident.url}
 *       ({@code <server.external_url>/ui/incidents/<id>}),
 *       {@code trace.cause}, {@code trace.text} and {@code status.state}.
 * </ul>
 *
 * <p>Every lookup is strict: a label the alert does not carry is an error naming the label
 * ({@code label "connect_cluster" is not set on the alert}), not an empty string. Pebble's
 * {@code default} filter still works: {@code {{ labels.connect_cluster | default("prod") }}}.
 * The rule loader renders each template once against a probe context, so a misspelt variable
 * ({@code lables.connector}, {@code target.conector}) is a load error.
 */
public final class TemplateContext {

  /** Root variables of target templates. */
  public static final List<String> TARGET_VARIABLES = List.of("labels", "annotations", "rule");

  /** Root variables of message templates. */
  public static final List<String> MESSAGE_VARIABLES =
      List.of("labels", "annotations", "target", "incident", "rule", "trace", "status", "dlq");

  /** Root variables of {@code http} step templates: the message variables and {@code schema_registry}. */
  public static final List<String> HTTP_VARIABLES =
      List.of("labels", "annotations", "target", "incident", "rule", "trace", "status", "schema_registry");

  private static final List<String> TARGET_KEYS = List.of("cluster", "connector");
  private static final List<String> INCIDENT_KEYS = List.of("id", "attempts", "state", "url");
  private static final List<String> RULE_KEYS = List.of("name");
  private static final List<String> TRACE_KEYS = List.of("cause", "text");
  private static final List<String> STATUS_KEYS = List.of("state");
  private static final List<String> DLQ_KEYS = List.of("topic", "records");

  private TemplateContext() {}

  /**
   * The facts a message template is rendered with.
   *
   * @param ruleName the rule's name
   * @param labels the alert's labels
   * @param annotations the alert's annotations
   * @param target the rendered target
   * @param incidentId the incident id
   * @param attempts remediation attempts made so far
   * @param incidentState the incident state name, e.g. {@code ESCALATED}
   * @param traceCause the cause line of the trace ({@link RuleEvaluator#causeLine}); empty if none
   * @param traceText the full trace; empty if none
   * @param statusState the connector's state, e.g. {@code FAILED}; {@code UNKNOWN} without status
   * @param incidentUrl the incident's page, {@code <server.external_url>/ui/incidents/<id>} (the path alone
   *     without an external URL)
   */
  public record Message(
      String ruleName,
      Map<String, String> labels,
      Map<String, String> annotations,
      ConnectorTarget target,
      String incidentId,
      int attempts,
      String incidentState,
      String traceCause,
      String traceText,
      String statusState,
      String incidentUrl) {
    public Message {
      incidentUrl = incidentUrl == null ? url(null, incidentId) : incidentUrl;
      Objects.requireNonNull(ruleName, "ruleName");
      labels = Map.copyOf(labels);
      annotations = Map.copyOf(annotations);
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(incidentId, "incidentId");
      Objects.requireNonNull(incidentState, "incidentState");
      Objects.requireNonNull(traceCause, "traceCause");
      Objects.requireNonNull(traceText, "traceText");
      Objects.requireNonNull(statusState, "statusState");
    }

    /** A message without an external URL: {@code incident.url} is the path alone. */
    public Message(String ruleName, Map<String, String> labels, Map<String, String> annotations, ConnectorTarget target,
        String incidentId, int attempts, String incidentState, String traceCause, String traceText, String statusState) {
      this(ruleName, labels, annotations, target, incidentId, attempts, incidentState, traceCause, traceText, statusState,
          null);
    }
  }

  /**
   * The incident's page: {@code <externalUrl>/ui/incidents/<id>}, or {@code /ui/incidents/<id>} when
   * {@code externalUrl} is null (the id URL-encoded).
   */
  public static String url(String externalUrl, String incidentId) {
    return (externalUrl == null ? "" : externalUrl.replaceAll("/+$", "")) + "/ui/incidents/"
        + java.net.URLEncoder.encode(incidentId, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The context for a target template. */
  public static Map<String, Object> target(
      String ruleName, Map<String, String> labels, Map<String, String> annotations) {
    return targetContext(ruleName, labels, annotations, false);
  }

  /** The context for a message template. */
  public static Map<String, Object> message(Message m) {
    return messageContext(m, false);
  }

  /**
   * The context of an {@code http} step's templates: {@code message} plus {@code schema_registry.url}, the
   * connector's Schema Registry (the first URL of its {@code value.converter.schema.registry.url}, else
   * {@code key.converter.schema.registry.url}, else {@code schema.registry.url}; null when it names none).
   * The URL is put into URL templates as it is (not percent-encoded).
   */
  public static Map<String, Object> http(Message m, String schemaRegistryUrl) {
    Map<String, Object> ctx = messageContext(m, false);
    ctx.put("schema_registry", object("schema_registry", List.of("url"), Template.safe(schemaRegistryUrl)));
    return ctx;
  }

  /** An {@code http} step context in which every label and annotation exists; used to check templates at load. */
  static Map<String, Object> httpProbe() {
    Map<String, Object> ctx = messageProbe();
    ctx.put("schema_registry", object("schema_registry", List.of("url"), Template.safe("http://probe:8081")));
    return ctx;
  }

  /** A target context in which every label and annotation exists; used to check templates at load. */
  static Map<String, Object> targetProbe() {
    return targetContext("probe", Map.of(), Map.of(), true);
  }

  /** A message context in which every label and annotation exists; used to check templates at load. */
  static Map<String, Object> messageProbe() {
    return messageContext(
        new Message("probe", Map.of(), Map.of(), new ConnectorTarget("probe", "probe"), "inc-probe", 1,
            "OPEN", "probe", "probe", "FAILED"),
        true);
  }

  private static Map<String, Object> targetContext(
      String ruleName, Map<String, String> labels, Map<String, String> annotations, boolean probe) {
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("labels", new Variables("label", null, labels, List.of(), probe));
    ctx.put("annotations", new Variables("annotation", null, annotations, List.of(), probe));
    ctx.put("rule", object("rule", RULE_KEYS, ruleName));
    return ctx;
  }

  private static Map<String, Object> messageContext(Message m, boolean probe) {
    Map<String, Object> ctx = targetContext(m.ruleName(), m.labels(), m.annotations(), probe);
    ctx.put("target", object("target", TARGET_KEYS, m.target().cluster(), m.target().connector()));
    ctx.put("incident", object("incident", INCIDENT_KEYS, m.incidentId(), m.attempts(), m.incidentState(),
        m.incidentUrl()));
    ctx.put("trace", object("trace", TRACE_KEYS, m.traceCause(), m.traceText()));
    ctx.put("status", object("status", STATUS_KEYS, m.statusState()));
    ctx.put("dlq", object("dlq", DLQ_KEYS, probe ? "probe-dlq" : "", probe ? "0" : "unknown"));
    return ctx;
  }

  /**
   * {@code ctx} (a message context) with {@code dlq.topic} and {@code dlq.records} filled in: the
   * connector's dead letter topic and the records it holds now. Without this they read {@code ""} and
   * {@code unknown}; runbookd fills them for a {@code notify} step whose message uses them.
   */
  public static Map<String, Object> withDlq(Map<String, Object> ctx, String topic, String records) {
    Map<String, Object> out = new LinkedHashMap<>(ctx);
    out.put("dlq", object("dlq", DLQ_KEYS, topic, records));
    return out;
  }

  /**
   * When rendering failed because a variable does not exist, a message naming it, e.g.
   * {@code variable "lables" does not exist (variables: labels, annotations, rule)}; otherwise null.
   *
   * @param e the rendering error
   * @param roots the root variables of the context that was used
   */
  static String undefinedVariable(Template.TemplateException e, List<String> roots) {
    Throwable cause = e.getCause();
    if (cause instanceof RootAttributeNotFoundException r && r.getAttributeName() != null) {
      return "variable \"" + r.getAttributeName() + "\" does not exist (variables: "
          + String.join(", ", roots) + ")";
    }
    if (cause instanceof AttributeNotFoundException a && a.getPebbleMessage() != null
        && a.getPebbleMessage().startsWith("variable \"")) {
      return a.getPebbleMessage();
    }
    return null;
  }

  private static Variables object(String name, List<String> keys, Object... values) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      m.put(keys.get(i), values[i]);
    }
    return new Variables(null, name, m, keys, false);
  }

  /**
   * A map whose missing keys are errors with a message for rule authors. Pebble asks
   * {@code isEmpty()}, then {@code containsKey()}, then {@code get()}; the answers below make it
   * call {@code get()}, which throws Pebble's own "attribute not found" error so that the
   * {@code default} filter and {@code is defined} test keep working.
   */
  private static final class Variables extends AbstractMap<String, Object> {
    /** "label" or "annotation" for alert maps, else null. */
    private final String alertMapKind;
    /** The variable name for object maps ("target", "incident"...), else null. */
    private final String objectName;
    private final Map<String, ?> values;
    private final List<String> keys;
    private final boolean anyKey;

    Variables(String alertMapKind, String objectName, Map<String, ?> values, List<String> keys, boolean anyKey) {
      this.alertMapKind = alertMapKind;
      this.objectName = objectName;
      this.values = values;
      this.keys = keys;
      this.anyKey = anyKey;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Set<Map.Entry<String, Object>> entrySet() {
      return ((Map<String, Object>) values).entrySet();
    }

    @Override
    public boolean isEmpty() {
      return false;
    }

    @Override
    public boolean containsKey(Object key) {
      return true;
    }

    @Override
    public Object get(Object key) {
      if (values.containsKey(key)) {
        return values.get(key);
      }
      String k = String.valueOf(key);
      if (anyKey) {
        return k;
      }
      String message = alertMapKind != null
          ? alertMapKind + " \"" + k + "\" is not set on the alert"
          : "variable \"" + objectName + "." + k + "\" does not exist (" + objectName + " has: "
              + String.join(", ", keys) + ")";
      throw new AttributeNotFoundException(null, message, k, 0, null);
    }
  }
}
