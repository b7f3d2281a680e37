package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.testkit.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon killed with SIGKILL while it holds leases (alerts claimed, an incident in the middle of its
 * restart call, an escalation being sent) and started again on the same store takes its own work back
 * at once: every escalation that fell due while it was down is delivered within 2 s of
 * {@code /-/ready}, not when the dead run's leases (60 s incident lease, 30 s escalation claim) expire.
 * Several rounds on one store, each killed at a randomly chosen moment.
 */
class RestartReclaimIT {
  private static final Logger LOG = LoggerFactory.getLogger(RestartReclaimIT.class);
  private static final int ROUNDS = 5;
  private static final int CONNECTORS = 3;

  @TempDir
  Path tmp;

  private SimulatedConnect connect;
  private WireMockServer notifier;
  private DaemonProcess daemon;

  @AfterEach
  void cleanUp() {
    if (daemon != null) {
      daemon.close();
    }
    if (connect != null) {
      connect.close();
    }
    if (notifier != null) {
      notifier.stop();
    }
  }

  /** The kill points, chosen at random per round. */
  private enum KillPoint { ALERTS_ACKNOWLEDGED, FIRST_RESTART_CALL, FIRST_PAGE_SENT, RANDOM_DELAY }

  @Test
  void escalationsDueWhileDownAreDeliveredWithinTwoSecondsOfReadiness() throws Exception {
    connect = new SimulatedConnect();
    connect.server().setGlobalFixedDelay(200);
    notifier = new WireMockServer(options().dynamicPort());
    notifier.start();
    notifier.stubFor(post(urlEqualTo("/oncall")).willReturn(aResponse().withStatus(200).withFixedDelay(150)));
    daemon = new DaemonProcess(tmp, "", DaemonProcess.pagingConfig(tmp, connect.url(), notifier.port()));

    long seed = System.nanoTime();
    Random random = new Random(seed);
    List<Long> afterReady = new ArrayList<>();
    List<Long> afterDue = new ArrayList<>();
    daemon.startAndAwaitReady();
    for (int round = 0; round < ROUNDS; round++) {
      KillPoint point = KillPoint.values()[random.nextInt(KillPoint.values().length)];
      List<String> names = new ArrayList<>();
      int pagesBefore = notifier.findAll(postRequestedFor(urlEqualTo("/oncall"))).size();
      int restartsBefore = connect.restarts().size();
      for (int i = 0; i < CONNECTORS; i++) {
        String name = "r" + round + "-sink-" + i;
        names.add(name);
        assertThat(daemon.postFiring(name)).isEqualTo(200);
      }
      long extraMillis = random.nextInt(1500);
      Instant extraUntil = Instant.now().plusMillis(extraMillis);
      switch (point) {
        case ALERTS_ACKNOWLEDGED -> { }
        case FIRST_RESTART_CALL -> Await.until("a restart call", Duration.ofSeconds(20),
            () -> connect.restarts().size() > restartsBefore);
        case FIRST_PAGE_SENT -> Await.until("a page", Duration.ofSeconds(20),
            () -> notifier.findAll(postRequestedFor(urlEqualTo("/oncall"))).size() > pagesBefore);
        case RANDOM_DELAY -> Await.until("the kill point", Duration.ofSeconds(5), Duration.ofMillis(10),
            () -> Instant.now().isAfter(extraUntil), () -> null);
      }
      daemon.kill();
      Instant killedAt = Instant.now();
      Instant readyAt = daemon.startAndAwaitReady();

      for (String name : names) {
        JsonObject detail = Await.value("the page of " + name, Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
          JsonArray found = new JsonObject(daemon.get("/api/v1/incidents?connector=" + name).body()).getJsonArray("incidents");
          if (found.isEmpty()) {
            return Optional.empty();
          }
          JsonObject d = new JsonObject(daemon.get("/api/v1/incidents/" + found.getJsonObject(0).getString("id")).body());
          JsonArray escalations = d.getJsonArray("escalations");
          return escalations.isEmpty() || escalations.getJsonObject(0).getString("fired_at") == null
              ? Optional.empty() : Optional.of(d);
        }, () -> null);
        JsonObject escalation = detail.getJsonArray("escalations").getJsonObject(0);
        Instant due = Instant.parse(escalation.getString("due_at"));
        Instant fired = Instant.parse(escalation.getString("fired_at"));
        if (fired.isBefore(killedAt)) {
          continue; // delivered and marked before the kill
        }
        Instant delivered = pages(name).stream().map(r -> r.getLoggedDate().toInstant()).filter(t -> t.isAfter(killedAt))
            .findFirst().orElseThrow(() -> new AssertionError("no page for " + name + " after the restart"));
        if (due.isBefore(readyAt)) {
          afterReady.add(Duration.between(readyAt, delivered).toMillis());
          assertThat(Duration.between(readyAt, delivered)).as("%s: due %s during the downtime, delivered %s, ready %s",
              name, due, delivered, readyAt).isLessThanOrEqualTo(Duration.ofSeconds(2));
        } else {
          afterDue.add(Duration.between(due, delivered).toMillis());
          assertThat(Duration.between(due, delivered)).as("%s: due %s after the restart, delivered %s", name, due, delivered)
              .isLessThanOrEqualTo(Duration.ofSeconds(2));
        }
      }
      LOG.info("MEASURED restart round {} kill_point={} extra_ms={} downtime_ms={}", round, point,
          point == KillPoint.RANDOM_DELAY ? extraMillis : 0, Duration.between(killedAt, readyAt).toMillis());
    }
    List<String> tookBack = daemon.lines().stream().filter(l -> l.contains("took back what the previous run")).toList();
    tookBack.forEach(l -> LOG.info("MEASURED {}", l.substring(l.indexOf("incidents="))));
    LOG.info("MEASURED restart seed={} due during downtime: n={} delivery after readiness median={} ms worst={} ms;"
        + " due after the restart: n={} median={} ms worst={} ms", seed, afterReady.size(), median(afterReady),
        worst(afterReady), afterDue.size(), median(afterDue), worst(afterDue));
    assertThat(afterReady).as("escalations that fell due during a downtime").isNotEmpty();
    assertThat(tookBack).hasSize(ROUNDS + 1);
  }

  private List<LoggedRequest> pages(String connector) {
    List<LoggedRequest> out = new ArrayList<>(notifier.findAll(postRequestedFor(urlEqualTo("/oncall"))).stream()
        .filter(r -> r.getBodyAsString().contains(connector + " ")).toList());
    out.sort(java.util.Comparator.comparing(LoggedRequest::getLoggedDate));
    return out;
  }

  static long median(List<Long> xs) {
    if (xs.isEmpty()) {
      return -1;
    }
    List<Long> s = xs.stream().sorted().toList();
    return s.get(s.size() / 2);
  }

  static long worst(List<Long> xs) {
    return xs.stream().mapToLong(Long::longValue).max().orElse(-1);
  }
}
