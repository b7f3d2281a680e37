package io.runbookd.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.AlertEvent;
import io.runbookd.testkit.Postgres;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The backlog read and the claim renewal and release of {@link AlertLog}, on SQLite and on PostgreSQL
 * (a fresh database on the test server, see {@link Postgres}).
 */
class AlertBacklogIT {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final Duration LEASE = Duration.ofSeconds(60);

  @TempDir
  Path tmp;

  private void withStore(String db, Function<Store, Void> test) throws Exception {
    if ("sqlite".equals(db)) {
      try (Store s = Stores.open(StoreSettings.sqlite(tmp.resolve("data")))) {
        test.apply(s);
      }
      return;
    }
    String name = Postgres.createDatabase();
    try (Store s = Stores.open(StoreSettings.jdbc(Postgres.SERVER + name, Postgres.USER, null))) {
      test.apply(s);
    } finally {
      Postgres.dropDatabase(name);
    }
  }

  private static List<AlertEvent> record(Store s, int n) {
    List<AlertEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      events.add(new AlertEvent(0, T0.plusSeconds(i), "fp" + i, "firing", T0, null,
          Map.of("alertname", "KafkaConnectTaskFailure", "connector", "c" + i), Map.of(), "runbookd", "g"));
    }
    return s.recordAlerts(events);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void theBacklogCountsUnprocessedAlertsAndDatesTheOldest(String db) throws Exception {
    withStore(db, s -> {
      assertThat(s.alertBacklog()).isEqualTo(new AlertLog.Backlog(0, null));
      List<AlertEvent> stored = record(s, 5);
      assertThat(s.alertBacklog()).isEqualTo(new AlertLog.Backlog(5, T0));
      // Claimed (or deferred) events are still in the backlog; processed ones are not.
      s.claimAlerts("me", T0, LEASE, 3);
      s.markAlertProcessed(stored.get(0).id(), T0.plusSeconds(10), "opened", null);
      s.markAlertProcessed(stored.get(1).id(), T0.plusSeconds(10), "joined", null);
      assertThat(s.alertBacklog()).isEqualTo(new AlertLog.Backlog(3, T0.plusSeconds(2)));
      for (AlertEvent e : stored.subList(2, 5)) {
        s.markAlertProcessed(e.id(), T0.plusSeconds(20), "unmatched", null);
      }
      assertThat(s.alertBacklog()).isEqualTo(new AlertLog.Backlog(0, null));
      return null;
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void renewedClaimsAreNotTakenByOthersAndReleasedOnesAreAtOnce(String db) throws Exception {
    withStore(db, s -> {
      List<AlertEvent> stored = record(s, 1200);
      List<Long> ids = s.claimAlerts("me", T0, LEASE, 1200).stream().map(AlertEvent::id).toList();
      assertThat(ids).hasSize(1200);
      s.markAlertProcessed(ids.get(0), T0, "opened", null);

      // Renewed in chunks: every unprocessed one of mine, not the processed one.
      assertThat(s.renewAlertClaims("me", ids, T0.plus(LEASE).plusSeconds(50))).isEqualTo(1199);
      assertThat(s.renewAlertClaims("someone-else", ids, T0.plusSeconds(500))).isZero();
      assertThat(s.claimAlerts("other", T0.plus(LEASE).plusSeconds(1), LEASE, 10)).isEmpty();
      assertThat(s.claimAlerts("other", T0.plus(LEASE).plusSeconds(51), LEASE, 2000)).hasSize(1199);

      // Given back: another replica claims them at once, long before any lease runs out.
      List<Long> others = LongStream.rangeClosed(stored.get(1).id(), stored.get(10).id()).boxed().toList();
      assertThat(s.releaseAlertClaims("me", others)).isZero(); // no longer mine
      assertThat(s.releaseAlertClaims("other", others)).isEqualTo(10);
      assertThat(s.claimAlerts("third", T0.plus(LEASE).plusSeconds(52), LEASE, 2000)).extracting(AlertEvent::id)
          .containsExactlyElementsOf(others);
      assertThat(s.renewAlertClaims("me", List.of(), T0)).isZero();
      assertThat(s.releaseAlertClaims("me", List.of())).isZero();
      return null;
    });
  }
}
