package io.runbookd.policy;

import io.runbookd.model.Incident;

import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.TemplateContext;
import java.util.Map;

/** Builds the message-template variables ({@link TemplateContext#message}) of an incident. */
public final class IncidentMessages {
  private IncidentMessages() {}

  /**
   * The variables of a message template about {@code inc}.
   *
   * @param labels the latest alert's labels (null: none)
   * @param annotations the latest alert's annotations (null: none)
   * @param status the connector status when known, else null ({@code connector_state} is UNKNOWN)
   */
  public static Map<String, Object> context(Incident inc, Map<String, String> labels, Map<String, String> annotations,
      ConnectorStatus status) {
    return context(inc, labels, annotations, status, null);
  }

  /**
   * As {@link #context(Incident, Map, Map, ConnectorStatus)}, with {@code incident.url} under
   * {@code externalUrl} ({@code server.external_url}; null: the path alone).
   */
  public static Map<String, Object> context(Incident inc, Map<String, String> labels, Map<String, String> annotations,
      ConnectorStatus status, String externalUrl) {
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
        status == null ? "UNKNOWN" : status.connector().state().name(),
        TemplateContext.url(externalUrl, inc.id())));
  }
}
