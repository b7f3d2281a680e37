package io.runbookd.incident;

import io.runbookd.connect.ConnectorStatus;
import java.util.HashMap;
import java.util.Map;

/** Builds the variables rule templates see (documented in rules/README.md). */
public final class TemplateContext {
  private TemplateContext() {}

  /**
   * {@code labels}, {@code annotations}, {@code target.cluster|connector}, {@code incident.id|attempts|state},
   * {@code rule.name}, {@code trace.cause|text} and {@code status.state} (empty strings when unknown).
   */
  public static Map<String, Object> of(Incident incident, Map<String, String> labels, Map<String, String> annotations,
      ConnectorStatus status) {
    Map<String, Object> ctx = new HashMap<>();
    ctx.put("labels", labels == null ? Map.of() : labels);
    ctx.put("annotations", annotations == null ? Map.of() : annotations);
    ctx.put("target", Map.of("cluster", incident.cluster(), "connector", incident.connector()));
    ctx.put("incident", Map.of("id", incident.id(), "attempts", incident.attempts(), "state", incident.state().name().toLowerCase(java.util.Locale.ROOT)));
    ctx.put("rule", Map.of("name", incident.rule()));
    ctx.put("trace", Map.of(
        "cause", incident.cause() == null ? "" : incident.cause(),
        "text", incident.trace() == null ? "" : incident.trace()));
    ctx.put("status", Map.of("state", status == null ? "" : StabilityWatcher.describe(status)));
    return ctx;
  }
}
