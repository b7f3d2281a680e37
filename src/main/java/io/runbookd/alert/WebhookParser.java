package io.runbookd.alert;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses and validates Alertmanager webhook bodies. Lenient on fields Alertmanager owns (unknown
 * fields are ignored), strict on what runbookd needs: {@code version} {@code "4"}, an {@code alerts}
 * array, and for each alert a {@code status} of firing/resolved and a {@code labels} object. A missing
 * {@code fingerprint} is computed from the labels the way Alertmanager does (FNV-1a 64 over the sorted
 * label pairs).
 */
public final class WebhookParser {
  /** Deeper JSON is rejected; a real payload nests 3 levels. */
  public static final int MAX_NESTING_DEPTH = 32;

  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).maxStringLength(1 << 20).build())
      .build());

  private WebhookParser() {}

  /**
   * Parses {@code body}.
   *
   * @throws InvalidWebhookException with the reason when the body is not a valid version-4 payload
   */
  public static WebhookMessage parse(byte[] body) {
    if (!validUtf8(body)) {
      throw new InvalidWebhookException("body is not valid UTF-8");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      String why = e.getOriginalMessage();
      for (String cut : new String[] {" (start marker", "\n", " at [Source"}) {
        int i = why.indexOf(cut);
        if (i > 0) {
          why = why.substring(0, i);
        }
      }
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new InvalidWebhookException("malformed JSON" + where + ": " + why);
    } catch (java.io.IOException e) {
      throw new InvalidWebhookException("unreadable body: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new InvalidWebhookException("body must be a JSON object");
    }
    JsonNode version = root.get("version");
    if (version == null || version.isNull()) {
      throw new InvalidWebhookException("missing \"version\" (Alertmanager sends \"4\")");
    }
    if (!version.isTextual() || !"4".equals(version.asText())) {
      throw new InvalidWebhookException("unsupported webhook version " + version + " (expected \"4\")");
    }
    JsonNode alerts = root.get("alerts");
    if (alerts == null || alerts.isNull()) {
      throw new InvalidWebhookException("missing \"alerts\"");
    }
    if (!alerts.isArray()) {
      throw new InvalidWebhookException("\"alerts\" must be an array");
    }
    List<WebhookMessage.Alert> out = new ArrayList<>(alerts.size());
    for (int i = 0; i < alerts.size(); i++) {
      out.add(alert(alerts.get(i), i));
    }
    return new WebhookMessage(
        "4",
        text(root, "groupKey"),
        root.path("truncatedAlerts").asInt(0),
        text(root, "status"),
        text(root, "receiver"),
        stringMap(root.get("groupLabels"), "groupLabels"),
        stringMap(root.get("commonLabels"), "commonLabels"),
        stringMap(root.get("commonAnnotations"), "commonAnnotations"),
        text(root, "externalURL"),
        out);
  }

  private static WebhookMessage.Alert alert(JsonNode a, int i) {
    String where = "alerts[" + i + "]";
    if (a == null || !a.isObject()) {
      throw new InvalidWebhookException(where + " must be an object");
    }
    String status = text(a, "status");
    if (!"firing".equals(status) && !"resolved".equals(status)) {
      throw new InvalidWebhookException(where + ".status must be \"firing\" or \"resolved\", got " + a.get("status"));
    }
    JsonNode labelsNode = a.get("labels");
    if (labelsNode == null || !labelsNode.isObject()) {
      throw new InvalidWebhookException(where + ".labels must be an object");
    }
    Map<String, String> labels = stringMap(labelsNode, where + ".labels");
    String fp = text(a, "fingerprint");
    if (fp == null || fp.isBlank()) {
      fp = fingerprint(labels);
    } else if (fp.length() > 64) {
      throw new InvalidWebhookException(where + ".fingerprint is longer than 64 characters");
    }
    return new WebhookMessage.Alert(
        status,
        labels,
        stringMap(a.get("annotations"), where + ".annotations"),
        time(a, "startsAt", where),
        time(a, "endsAt", where),
        text(a, "generatorURL"),
        fp);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Map<String, String> stringMap(JsonNode n, String where) {
    if (n == null || n.isNull()) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw new InvalidWebhookException(where + " must be an object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode()) {
        throw new InvalidWebhookException(where + "." + e.getKey() + " must be a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static Instant time(JsonNode a, String field, String where) {
    String v = text(a, field);
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidWebhookException(where + "." + field + " is not an RFC 3339 time: \"" + v + "\"");
    }
  }

  /** Alertmanager's label-set fingerprint: FNV-1a 64 over sorted {@code name 0xff value 0xff}. */
  public static String fingerprint(Map<String, String> labels) {
    long h = 0xcbf29ce484222325L;
    for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
      h = fnv(h, e.getKey().getBytes(StandardCharsets.UTF_8));
      h = fnv(h, new byte[] {(byte) 0xff});
      h = fnv(h, e.getValue().getBytes(StandardCharsets.UTF_8));
      h = fnv(h, new byte[] {(byte) 0xff});
    }
    return String.format("%016x", h);
  }

  private static long fnv(long h, byte[] bytes) {
    for (byte b : bytes) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  private static boolean validUtf8(byte[] body) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(body));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }

  /** The body is not a valid Alertmanager webhook payload; answered with 400 and this reason. */
  public static final class InvalidWebhookException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidWebhookException(String message) {
      super(message);
    }
  }
}
