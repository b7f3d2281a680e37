package io.runbookd.callout;

import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link Silences} of one configured Alertmanager, over {@link HttpCall}. */
final class AlertmanagerSilences implements Silences {
  private static final int MAX_BODY = 64 * 1024;

  private final String name;
  private final RunbookdConfig.Alertmanager config;
  private final HttpCall http;

  AlertmanagerSilences(String name, RunbookdConfig.Alertmanager config, HttpCall http) {
    this.name = name;
    this.config = config;
    this.http = http;
  }

  @Override
  public Future<String> create(List<Matcher> matchers, Instant startsAt, Instant endsAt, String createdBy,
      String comment) {
    JsonArray ms = new JsonArray();
    matchers.forEach(m -> ms.add(new JsonObject().put("name", m.name()).put("value", m.value())
        .put("isRegex", m.isRegex()).put("isEqual", m.isEqual())));
    JsonObject body = new JsonObject().put("matchers", ms).put("startsAt", startsAt.toString())
        .put("endsAt", endsAt.toString()).put("createdBy", createdBy).put("comment", comment);
    return http.send(request("POST", "/api/v2/silences", body.encode())).compose(resp -> {
      if (resp.status() / 100 != 2) {
        return Future.failedFuture(new IllegalStateException("alertmanager " + name + " answered " + resp.status()
            + " to POST /api/v2/silences: " + excerpt(resp.body())));
      }
      try {
        String id = new JsonObject(resp.body()).getString("silenceID");
        if (id == null || id.isBlank()) {
          throw new IllegalStateException("no silenceID");
        }
        return Future.succeededFuture(id);
      } catch (RuntimeException e) {
        return Future.failedFuture(new IllegalStateException("alertmanager " + name
            + " answered POST /api/v2/silences without a silenceID: " + excerpt(resp.body())));
      }
    });
  }

  @Override
  public Future<Void> expire(String id) {
    String path = "/api/v2/silence/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    return http.send(request("DELETE", path, null)).compose(resp -> {
      // Alertmanager answers 404 for an unknown silence and an error naming it "already expired" when it is.
      if (resp.status() / 100 == 2 || resp.status() == 404 || resp.body().contains("already expired")) {
        return Future.<Void>succeededFuture();
      }
      return Future.failedFuture(new IllegalStateException("alertmanager " + name + " answered " + resp.status()
          + " to DELETE " + path + ": " + excerpt(resp.body())));
    });
  }

  private HttpCall.Request request(String method, String path, String body) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (body != null) {
      headers.put("Content-Type", "application/json");
    }
    String auth = config.authorization();
    if (auth != null) {
      headers.put("Authorization", auth);
    }
    return new HttpCall.Request(method, config.url() + path, headers, body, config.timeout(), MAX_BODY);
  }

  private static String excerpt(String body) {
    String b = body == null ? "" : body.strip();
    return b.length() > 300 ? b.substring(0, 300) + "..." : b;
  }
}
