package io.runbookd.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A pass-through in front of a real Connect worker's REST API that records every request runbookd makes
 * ({@code METHOD path?query}): what runbookd asked Connect to do, counted where Connect receives it. A
 * request made straight to the worker (a human's {@code PUT /connectors/{name}/config}) is not recorded.
 */
final class RecordingConnectProxy implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String target;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "connect-recorder");
    t.setDaemon(true);
    return t;
  });
  private final List<String> requests = new CopyOnWriteArrayList<>();

  /** Listens on a free loopback port and forwards to {@code targetRestUrl} (e.g. {@code http://127.0.0.1:8083}). */
  RecordingConnectProxy(String targetRestUrl) throws IOException {
    this.target = targetRestUrl;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::forward);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Every {@code POST .../restart} request for {@code connector} (connector or task restarts), in order. */
  List<String> restarts(String connector) {
    return requests.stream().filter(r -> r.startsWith("POST /connectors/" + connector + "/") && r.contains("/restart"))
        .toList();
  }

  List<String> requests() {
    return List.copyOf(requests);
  }

  private void forward(HttpExchange ex) throws IOException {
    try (ex) {
      URI uri = ex.getRequestURI();
      String pathAndQuery = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      requests.add(ex.getRequestMethod() + " " + pathAndQuery);
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + pathAndQuery)).timeout(Duration.ofSeconds(100))
          .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      for (String h : List.of("Content-Type", "Accept")) {
        String v = ex.getRequestHeaders().getFirst(h);
        if (v != null) {
          b.header(h, v);
        }
      }
      HttpResponse<byte[]> r;
      try {
        r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ex.sendResponseHeaders(502, -1);
        return;
      } catch (IOException e) {
        ex.sendResponseHeaders(502, -1);
        return;
      }
      r.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().add("Content-Type", v));
      byte[] out = r.body();
      ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
