package io.runbookd.engine;

import io.runbookd.model.Incident;

import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.TemplateContext;
import java.util.Map;

/** Builds the message-template variables ({@link TemplateContext#message}) of an incident. */
final class IncidentMessages {
  private IncidentMessages() {}

  static Map<String, Object> context(Incident inc, Map<String, String> labels, Map<String, String> annotations,
      ConnectorStatus status) {
    return TemplateContext.message(new TemplateContext.Message(
        inc.rule(),
        labels == null ? Map.of() : labels,
        annotations == null ? Map.of() : annotations,
        new ConnectorTarget(inc.cluster(), inc.connector()),
        inc.id(),
        inc.attempts(),
        inc.state().name(),
        inc.cause() == null ? "" : inc.cause(),
        inc.trace() == null ? "" : inc.trace(),
        status == null ? "UNKNOWN" : status.connector().state().name()));
  }
}
