package io.runbookd.connect;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runbookd.model.ConnectorStatus.InstanceStatus;
import io.runbookd.model.ConnectorStatus.TaskStatus;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the JSON bodies of the Connect REST API. Pure functions, no I/O.
 *
 * <p>Reading is lenient: unknown members are ignored (Kafka 4.1 adds {@code version} to status
 * entries, KAFKA-18988), and a missing {@code trace} gives a null trace. A body that is not the
 * expected shape throws {@link MalformedBodyException}.
 */
final class ConnectJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Longest error text kept from a non-JSON error body (e.g. a proxy's HTML page). */
  private static final int MAX_ERROR_TEXT = 2_000;

  private ConnectJson() {}

  /** The body of a response that should have been JSON but was not of the expected shape. */
  static final class MalformedBodyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedBodyException(String message, Throwable cause) {
      super(message, cause);
    }

    MalformedBodyException(String message) {
      super(message);
    }
  }

  /** Connect's error body {@code {"error_code":<int>,"message":"<text>"}} (Kafka {@code ErrorMessage}). */
  record ErrorBody(int errorCode, String message) {}

  /**
   * Parses an error body. When it is not Connect's JSON shape, the body text (trimmed, shortened) is
   * the message and the HTTP status is the error code; an empty body gives {@code fallbackMessage}.
   */
  static ErrorBody error(int httpStatus, String body, String fallbackMessage) {
    String text = body == null ? "" : body.trim();
    try {
      JsonNode node = text.isEmpty() ? null : MAPPER.readTree(text);
      if (node != null && node.isObject() && node.path("message").isTextual()) {
        JsonNode code = node.path("error_code");
        return new ErrorBody(code.canConvertToInt() ? code.asInt() : httpStatus, node.get("message").asText());
      }
    } catch (JsonProcessingException e) {
      // not JSON: fall through to the raw text
    }
    if (text.isEmpty()) {
      return new ErrorBody(httpStatus, fallbackMessage);
    }
    return new ErrorBody(httpStatus, text.length() > MAX_ERROR_TEXT ? text.substring(0, MAX_ERROR_TEXT) + "..." : text);
  }

  /** {@code GET /connectors/{name}/status} and the 202 body of a KIP-745 restart ({@code ConnectorStateInfo}). */
  static ConnectorStatus status(String body) {
    return status(readObject(body));
  }

  /**
   * {@code GET /connectors?expand=status} (and {@code &expand=info}): {@code {"<name>":{"status":{...},
   * "info":{...}}, ...}}. Entries without a {@code status} member are left out; {@code info} is ignored.
   */
  static Map<String, ConnectorStatus> expandedStatuses(String body) {
    JsonNode root = readObject(body);
    Map<String, ConnectorStatus> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : root.properties()) {
      JsonNode status = entry.getValue().path("status");
      if (status.isObject()) {
        out.put(entry.getKey(), status(status));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** {@code GET /connectors/{name}/config}: a flat string map. JSON nulls are left out. */
  static Map<String, String> stringMap(String body) {
    return stringMap(readObject(body), "config");
  }

  /** The {@code config} member of a {@code ConnectorInfo} (the body of PUT and PATCH config). */
  static Map<String, String> connectorInfoConfig(String body) {
    JsonNode config = readObject(body).path("config");
    if (!config.isObject()) {
      throw new MalformedBodyException("connector info has no \"config\" object");
    }
    return stringMap(config, "config");
  }

  /**
   * {@code PUT /connector-plugins/{class}/config/validate} ({@code ConfigInfos}): the errors of each
   * {@code configs[].value}, keyed by its {@code name}; keys without errors are left out.
   */
  static Map<String, List<String>> validationErrors(String body) {
    JsonNode configs = readObject(body).path("configs");
    if (!configs.isArray()) {
      throw new MalformedBodyException("validation result has no \"configs\" array");
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (JsonNode config : configs) {
      JsonNode value = config.path("value");
      List<String> errors = new ArrayList<>();
      for (JsonNode error : value.path("errors")) {
        errors.add(error.asText());
      }
      if (!errors.isEmpty()) {
        out.put(value.path("name").asText(), List.copyOf(errors));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** {@code GET /connectors}: a JSON array of connector names. */
  static List<String> names(String body) {
    JsonNode node;
    try {
      node = body == null || body.isBlank() ? null : MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new MalformedBodyException("response body is not JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isArray()) {
      throw new MalformedBodyException("connector list is not a JSON array");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : node) {
      if (!n.isTextual()) {
        throw new MalformedBodyException("connector list holds a non-string: " + n);
      }
      out.add(n.asText());
    }
    return List.copyOf(out);
  }

  /** The {@code message} of a 200 {@code {"message":"..."}} body (KIP-875 offset changes). */
  static String message(String body) {
    return requiredText(readObject(body), "message");
  }

  /** Serializes a config map; null values are written as JSON {@code null} (KIP-477: remove the key). */
  static String write(Map<String, String> config) {
    try {
      return MAPPER.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ConnectorStatus status(JsonNode node) {
    String name = requiredText(node, "name");
    JsonNode connector = node.path("connector");
    if (!connector.isObject()) {
      throw new MalformedBodyException("status of \"" + name + "\" has no \"connector\" object");
    }
    List<TaskStatus> tasks = new ArrayList<>();
    for (JsonNode task : node.path("tasks")) {
      if (!task.path("id").canConvertToInt()) {
        throw new MalformedBodyException("a task of \"" + name + "\" has no numeric \"id\"");
      }
      tasks.add(new TaskStatus(task.get("id").asInt(), instance(task)));
    }
    tasks.sort(Comparator.comparingInt(TaskStatus::id));
    return new ConnectorStatus(name, optionalText(node, "type"), instance(connector), tasks);
  }

  private static InstanceStatus instance(JsonNode node) {
    return new InstanceStatus(
        ConnectorState.parse(optionalText(node, "state")),
        optionalText(node, "worker_id"),
        optionalText(node, "trace"));
  }

  private static Map<String, String> stringMap(JsonNode node, String what) {
    if (!node.isObject()) {
      throw new MalformedBodyException("expected a JSON object for " + what);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      if (!entry.getValue().isNull()) {
        out.put(entry.getKey(), entry.getValue().asText());
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private static JsonNode readObject(String body) {
    JsonNode node;
    try {
      node = body == null || body.isBlank() ? null : MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new MalformedBodyException("response body is not JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new MalformedBodyException("response body is not a JSON object");
    }
    return node;
  }

  private static String requiredText(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isTextual()) {
      throw new MalformedBodyException("missing \"" + field + "\"");
    }
    return value.asText();
  }

  private static String optionalText(JsonNode node, String field) {
    JsonNode value = node.path(field);
    return value.isMissingNode() || value.isNull() ? null : value.asText();
  }
}
