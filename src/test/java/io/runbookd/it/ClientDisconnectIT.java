package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that hang up mid-request (a webhook body cut off, the connection reset) are not runbookd's
 * errors: each is at most one DEBUG line, never an ERROR or WARN line or a stack trace, and the
 * daemon keeps answering.
 */
class ClientDisconnectIT {
  private static final int CLIENTS = 100;

  @TempDir
  java.nio.file.Path tmp;

  @Test
  void aClientThatHangsUpIsOneDebugLine() throws Exception {
    Level before = LogCapture.level("io.runbookd", Level.DEBUG);
    try (LogCapture logs = new LogCapture("io.runbookd", "io.vertx", "io.netty");
        Daemon d = Daemon.start("rules: { paths: ['" + Daemon.rulesDir(tmp, "10-none.yaml", "rules: []\n") + "'] }\n",
            tmp.resolve("data"))) {
      int port = Integer.parseInt(d.url().substring(d.url().lastIndexOf(':') + 1));
      for (int i = 0; i < CLIENTS; i++) {
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setSoLinger(true, 0); // close with a reset, as a killed client does
          OutputStream out = s.getOutputStream();
          out.write(("POST /api/v1/alerts HTTP/1.1\r\nHost: runbookd\r\nContent-Type: application/json\r\n"
              + "Content-Length: 100000\r\n\r\n{\"version\":\"4\",\"alerts\":[").getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      }
      Await.until("a DEBUG line for every client that hung up", Duration.ofSeconds(30),
          () -> disconnects(logs) == CLIENTS);
      assertThat(d.get("/-/healthy").statusCode()).isEqualTo(200);
      assertThat(disconnects(logs)).isEqualTo(CLIENTS);
      assertThat(logs.lines(Level.WARN)).as("no WARN or ERROR line but the start-up warning about open endpoints")
          .allSatisfy(l -> assertThat(l).contains("NO AUTHENTICATION CONFIGURED"));
    } finally {
      LogCapture.level("io.runbookd", before);
    }
  }

  private static long disconnects(LogCapture logs) {
    return logs.lines().stream().filter(l -> l.startsWith("DEBUG ") && l.contains("client disconnected")).count();
  }
}
