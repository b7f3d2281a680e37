package io.runbookd.http;

import io.runbookd.config.Secrets;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * API answers with every configured secret masked ({@link Secrets#redactKnown}) in every string value
 * and key: step errors, timeline messages and approval notes may quote text a receiver or Connect sent
 * back, and rows stored before a secret was configured are masked as well.
 */
final class Redacted {
  private Redacted() {}

  /** A copy of {@code in} with secrets masked in its strings; {@code in} itself when there is nothing to mask. */
  static JsonObject json(JsonObject in) {
    if (Secrets.known().values().isEmpty()) {
      return in;
    }
    return (JsonObject) value(in);
  }

  private static Object value(Object v) {
    if (v instanceof String s) {
      return Secrets.redactKnown(s);
    }
    if (v instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      for (Map.Entry<String, Object> e : o) {
        out.put(Secrets.redactKnown(e.getKey()), value(e.getValue()));
      }
      return out;
    }
    if (v instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      for (Object x : a) {
        out.add(value(x));
      }
      return out;
    }
    return v;
  }
}
