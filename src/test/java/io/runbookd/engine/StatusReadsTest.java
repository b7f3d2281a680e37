package io.runbookd.engine;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectApis;
import io.runbookd.connect.ConnectEndpoint;
import io.runbookd.connect.ConnectRestException;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Status reads of a batch of alerts for one Connect cluster: one {@code GET
 * /connectors?expand=status&expand=info} instead of one status call per alert, and the per-connector
 * reads when that listing fails or leaves a connector out (request counts on a WireMock Connect).
 */
class StatusReadsTest {

  @RegisterExtension
  static final WireMockExtension CONNECT = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private static final String LISTING = "/connectors?expand=status&expand=info";
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String status(String name, String taskState, String trace) {
    return "{\"name\":\"" + name + "\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"w:8083\"},"
        + "\"tasks\":[{\"id\":0,\"state\":\"" + taskState + "\",\"worker_id\":\"w:8083\""
        + (trace == null ? "" : ",\"trace\":\"" + trace + "\"") + "}],\"type\":\"sink\"}";
  }

  private static String listing(List<String> failed) {
    StringBuilder b = new StringBuilder("{");
    for (String name : failed) {
      b.append(b.length() > 1 ? "," : "").append('"').append(name).append("\":{\"status\":")
          .append(status(name, "FAILED", "org.apache.kafka.connect.errors.ConnectException: " + name + " broke"))
          .append(",\"info\":{\"name\":\"").append(name).append("\",\"config\":{},\"tasks\":[],\"type\":\"sink\"}}");
    }
    return b.append('}').toString();
  }

  /** Asks for every name in ONE turn of one context (as the lanes of one claim do) and waits for all. */
  private static Map<String, Future<ConnectorStatus>> read(List<String> names) throws Exception {
    Context ctx = vertx.getOrCreateContext();
    return read(ctx, new StatusReads(ctx), names);
  }

  private static Map<String, Future<ConnectorStatus>> read(Context ctx, StatusReads reads, List<String> names)
      throws Exception {
    ConnectApi api = ConnectApis.create(vertx, ConnectEndpoint.of("prod", CONNECT.baseUrl()), (c, m, s, n) -> {});
    CompletableFuture<Map<String, Future<ConnectorStatus>>> asked = new CompletableFuture<>();
    ctx.runOnContext(v -> {
      Map<String, Future<ConnectorStatus>> out = new LinkedHashMap<>();
      names.forEach(n -> out.put(n, reads.status(api, n)));
      asked.complete(out);
    });
    Map<String, Future<ConnectorStatus>> out = asked.get(10, TimeUnit.SECONDS);
    Future.join(new ArrayList<>(out.values())).toCompletionStage().toCompletableFuture()
        .handle((r, e) -> null).get(10, TimeUnit.SECONDS);
    return out;
  }

  private static ConnectorStatus value(Future<ConnectorStatus> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aBatchOfOneClusterIsServedByOneListingWithTheTraces() throws Exception {
    List<String> names = List.of("orders-0", "orders-1", "orders-2", "orders-3", "orders-4");
    CONNECT.stubFor(get(urlEqualTo(LISTING)).willReturn(okJson(listing(names))));

    Map<String, Future<ConnectorStatus>> got = read(names);

    for (String n : names) {
      ConnectorStatus s = value(got.get(n));
      assertThat(s.name()).isEqualTo(n);
      assertThat(s.tasks().get(0).status().state()).isEqualTo(ConnectorState.FAILED);
      assertThat(s.tasks().get(0).status().trace()).contains(n + " broke");
    }
    CONNECT.verify(1, getRequestedFor(urlEqualTo(LISTING)));
    CONNECT.verify(0, getRequestedFor(urlPathMatching("/connectors/.*/status")));
  }

  @Test
  void aLoneAlertReadsItsOwnStatusOnly() throws Exception {
    CONNECT.stubFor(get("/connectors/solo/status").willReturn(okJson(status("solo", "FAILED", "boom"))));

    ConnectorStatus s = value(read(List.of("solo")).get("solo"));

    assertThat(s.hasFailure()).isTrue();
    CONNECT.verify(1, getRequestedFor(urlEqualTo("/connectors/solo/status")));
    CONNECT.verify(0, getRequestedFor(urlEqualTo(LISTING)));
  }

  @Test
  void aFailedListingFallsBackToOneReadPerConnector() throws Exception {
    List<String> names = List.of("a", "b", "c");
    CONNECT.stubFor(get(urlEqualTo(LISTING)).willReturn(aResponse().withStatus(500)
        .withHeader("Content-Type", "application/json").withBody("{\"error_code\":500,\"message\":\"boom\"}")));
    for (String n : names) {
      CONNECT.stubFor(get("/connectors/" + n + "/status").willReturn(okJson(status(n, "FAILED", n + " trace"))));
    }

    Map<String, Future<ConnectorStatus>> got = read(names);

    for (String n : names) {
      assertThat(value(got.get(n)).tasks().get(0).status().trace()).isEqualTo(n + " trace");
      CONNECT.verify(1, getRequestedFor(urlEqualTo("/connectors/" + n + "/status")));
    }
    CONNECT.verify(1, getRequestedFor(urlEqualTo(LISTING)));
  }

  @Test
  void aConnectorMissingFromTheListingIsReadAloneAndA404StillMeansDeleted() throws Exception {
    CONNECT.stubFor(get(urlEqualTo(LISTING)).willReturn(okJson(listing(List.of("kept")))));
    CONNECT.stubFor(get("/connectors/gone/status").willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"error_code\":404,\"message\":\"No status found for connector gone\"}")));

    Map<String, Future<ConnectorStatus>> got = read(List.of("kept", "gone"));

    assertThat(value(got.get("kept")).name()).isEqualTo("kept");
    Throwable err = null;
    try {
      value(got.get("gone"));
    } catch (ExecutionException e) {
      err = e.getCause();
    }
    assertThat(err).isInstanceOfSatisfying(ConnectRestException.class, e -> assertThat(e.isNotFound()).isTrue());
    CONNECT.verify(1, getRequestedFor(urlEqualTo(LISTING)));
    CONNECT.verify(0, getRequestedFor(urlEqualTo("/connectors/kept/status")));
    CONNECT.verify(1, getRequestedFor(urlEqualTo("/connectors/gone/status")));
  }

  @Test
  void aConnectWithoutTheListingIsReadConnectorByConnectorAfterItsFirst404() throws Exception {
    CONNECT.stubFor(get(urlEqualTo(LISTING)).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json").withBody("{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}")));
    for (String n : List.of("a", "b", "c", "d")) {
      CONNECT.stubFor(get("/connectors/" + n + "/status").willReturn(okJson(status(n, "FAILED", n + " trace"))));
    }
    Context ctx = vertx.getOrCreateContext();
    StatusReads reads = new StatusReads(ctx);

    Map<String, Future<ConnectorStatus>> first = read(ctx, reads, List.of("a", "b"));
    Map<String, Future<ConnectorStatus>> second = read(ctx, reads, List.of("c", "d"));

    assertThat(value(first.get("b")).name()).isEqualTo("b");
    assertThat(value(second.get("d")).name()).isEqualTo("d");
    CONNECT.verify(1, getRequestedFor(urlEqualTo(LISTING)));
    CONNECT.verify(4, getRequestedFor(urlPathMatching("/connectors/[a-d]/status")));
  }

  @Test
  void aStalledReadHoldsNoOtherReadBack() throws Exception {
    CONNECT.stubFor(get("/connectors/stalled/status").willReturn(okJson(status("stalled", "FAILED", "x"))
        .withFixedDelay(8_000)));
    CONNECT.stubFor(get("/connectors/other/status").willReturn(okJson(status("other", "FAILED", "y"))));
    Context ctx = vertx.getOrCreateContext();
    StatusReads reads = new StatusReads(ctx);
    ConnectApi api = ConnectApis.create(vertx, ConnectEndpoint.of("prod", CONNECT.baseUrl()), (c, m, s, n) -> {});
    CompletableFuture<Future<ConnectorStatus>> stalled = new CompletableFuture<>();
    ctx.runOnContext(v -> stalled.complete(reads.status(api, "stalled")));
    stalled.get(5, TimeUnit.SECONDS); // its read was sent on the context's next turn, before the one below

    CompletableFuture<Future<ConnectorStatus>> other = new CompletableFuture<>();
    ctx.runOnContext(v -> other.complete(reads.status(api, "other")));

    assertThat(other.get(5, TimeUnit.SECONDS).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).name())
        .isEqualTo("other");
    assertThat(stalled.get().isComplete()).as("the stalled read is still waiting").isFalse();
  }
}
