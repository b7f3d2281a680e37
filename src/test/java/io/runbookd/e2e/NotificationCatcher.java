package io.runbookd.e2e;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Stands in for Slack/PagerDuty: records what runbookd's notifiers post (answers 200) on 127.0.0.1. */
final class NotificationCatcher implements AutoCloseable {
  /** One received notification. */
  record Notification(Instant at, String path, String body) {}

  private final HttpServer server;
  private final List<Notification> received = new CopyOnWriteArrayList<>();

  NotificationCatcher(int port, Consumer<Notification> onReceive) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        Notification n = new Notification(Instant.now(), exchange.getRequestURI().getPath(),
            new String(in.readAllBytes(), StandardCharsets.UTF_8));
        received.add(n);
        onReceive.accept(n);
      }
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    server.start();
  }

  /** e.g. {@code http://127.0.0.1:9096}. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  List<Notification> received() {
    return List.copyOf(received);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
