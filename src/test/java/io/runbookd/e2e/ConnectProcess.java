package io.runbookd.e2e;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;

/**
 * The main class of the Kafka JVM that {@link ConnectJvm} launches: one KRaft broker and one Kafka Connect
 * worker in distributed mode, started through {@link ConnectDistributed} (the code path of
 * {@code connect-distributed.sh}) from a {@code connect-distributed.properties} file, so that the JVM can
 * carry the Prometheus JMX exporter as a {@code -javaagent} the way a production worker does.
 *
 * <p>Usage: {@code ConnectProcess <dir>}; reads {@code <dir>/connect-distributed.properties} (everything
 * but {@code bootstrap.servers}), writes {@code <dir>/ready.properties} ({@code bootstrap.servers},
 * {@code rest.url}) once the worker's REST server is up. It stops (worker, then broker) on SIGTERM and
 * when its stdin closes, i.e. when the JVM that launched it is gone, so it never outlives a killed test.
 */
public final class ConnectProcess {
  static final String WORKER_PROPERTIES = "connect-distributed.properties";
  static final String READY_PROPERTIES = "ready.properties";

  private ConnectProcess() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Properties file = new Properties();
    try (Reader r = Files.newBufferedReader(dir.resolve(WORKER_PROPERTIES), StandardCharsets.UTF_8)) {
      file.load(r);
    }
    EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new Properties());
    kafka.start();
    Map<String, String> worker = new HashMap<>();
    file.stringPropertyNames().forEach(k -> worker.put(k, file.getProperty(k)));
    worker.put("bootstrap.servers", kafka.bootstrapServers());
    Connect<?> connect = new ConnectDistributed().startConnect(worker);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      connect.stop();
      kafka.stop();
    }, "connect-process-stop"));

    Properties ready = new Properties();
    ready.setProperty("bootstrap.servers", kafka.bootstrapServers());
    ready.setProperty("rest.url", connect.rest().advertisedUrl().toString());
    Path tmp = dir.resolve(READY_PROPERTIES + ".tmp");
    try (var w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      ready.store(w, "written by " + ConnectProcess.class.getName());
    }
    Files.move(tmp, dir.resolve(READY_PROPERTIES), StandardCopyOption.ATOMIC_MOVE);

    awaitStdinClosed();
    System.exit(0);
  }

  private static void awaitStdinClosed() {
    try {
      while (System.in.read() >= 0) {
        // the launcher never writes; EOF means it is gone
      }
    } catch (IOException e) {
      // same as EOF
    }
  }
}
