package io.runbookd.store;

import io.runbookd.model.IncidentQuery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.runbookd.policy.Admission;
import io.runbookd.model.AlertEvent;
import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.policy.ClusterGuardPolicy;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.Wait;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.model.StepRun;
import io.runbookd.model.Storm;
import io.runbookd.policy.RemediationPolicy;
import io.runbookd.alert.LabelMatcher;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Template;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The documented semantics of {@link Store}, run against each database by a concrete {@code *StoreIT}.
 * Time is always passed in: every test works from the fixed instant {@link #T0}.
 */
abstract class StoreContract {

  /** A fixed "now" with a millisecond part, so that precision bugs show. */
  static final Instant T0 = Instant.parse("2025-03-01T12:00:00.123Z");
  static final Duration LEASE = Duration.ofSeconds(30);
  static final int THREADS = 8;

  Store store;

  /** Gives the next {@link #openStore} an empty database. */
  abstract void resetDatabase() throws Exception;

  /** A new store on the current database (a restart, or a second replica), with {@code poolSize}. */
  abstract Store openStore(int poolSize);

  @BeforeEach
  void openFreshStore() throws Exception {
    resetDatabase();
    store = openStore(THREADS + 2);
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---- fixtures -------------------------------------------------------------------------------

  static AlertEvent alert(String fingerprint, String status, Instant receivedAt) {
    return new AlertEvent(0, receivedAt, fingerprint, status, receivedAt.minusSeconds(60), null,
        Map.of("alertname", "KafkaConnectTaskFailure", "connector", "orders-sink", "connect_cluster", "main"),
        Map.of("summary", "Task 0 of orders-sink failed"), "runbookd", "{}:{connector=\"orders-sink\"}");
  }

  static Incident incident(String id, String connector, Instant nextActionAt) {
    return new Incident(id, "main", connector, "connect-db-connection-refused", IncidentState.OPEN, null, 0,
        "java.net.ConnectException: Connection refused", "trace...", T0, T0, null, nextActionAt,
        nextActionAt == null ? null : Incident.REMEDIATE, null, null, null);
  }

  static IncidentEvent opened(Instant at) {
    return new IncidentEvent(at, "opened", "opened by KafkaConnectTaskFailure");
  }

  static Escalation escalation(String incidentId, int level, Instant dueAt) {
    return new Escalation(incidentId, level, dueAt, "oncall", "still failing", null, null);
  }

  Incident open(String id, String connector, Instant nextActionAt, Escalation... escalations) {
    return store.openIncident(incident(id, connector, nextActionAt), List.of(escalations), opened(T0)).orElseThrow();
  }

  static StepRun step(String incidentId, int attempt, int index, Instant startedAt) {
    return new StepRun(0, incidentId, attempt, index, "restart", "{\"include_tasks\":true}", startedAt, null, null,
        null, "{\"state\":\"FAILED\"}", null);
  }

  static Incident leased(Incident in, String owner, Instant until) {
    return new Incident(in.id(), in.cluster(), in.connector(), in.rule(), in.state(), in.outcome(), in.attempts(),
        in.cause(), in.trace(), in.openedAt(), in.updatedAt(), in.closedAt(), in.nextActionAt(), in.nextAction(),
        in.alertResolvedAt(), owner, until);
  }

  // ---- intake ---------------------------------------------------------------------------------

  @Test
  void recordAlertsAssignsIncreasingIdsInOrderAndKeepsEveryField() {
    AlertEvent full = alert("fp-1", "firing", T0);
    AlertEvent sparse = new AlertEvent(0, T0, "fp-2", "resolved", null, null, Map.of(), Map.of(), null, null);

    List<AlertEvent> stored = store.recordAlerts(List.of(full, sparse));

    assertThat(stored).hasSize(2);
    assertThat(stored.get(0).id()).isPositive();
    assertThat(stored.get(1).id()).isGreaterThan(stored.get(0).id());
    assertThat(stored.get(0)).isEqualTo(full.withId(stored.get(0).id()));
    assertThat(stored.get(1)).isEqualTo(sparse.withId(stored.get(1).id()));
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).containsExactlyElementsOf(stored);
  }

  @Test
  void recordAlertsOfNothingIsNothing() {
    assertThat(store.recordAlerts(List.of())).isEmpty();
  }

  @Test
  void claimedAlertIsNotClaimedAgainUntilItsLeaseExpires() {
    List<AlertEvent> stored = store.recordAlerts(
        List.of(alert("fp-1", "firing", T0), alert("fp-2", "firing", T0), alert("fp-3", "firing", T0)));

    assertThat(store.claimAlerts("a", T0, LEASE, 2)).containsExactly(stored.get(0), stored.get(1));
    assertThat(store.claimAlerts("b", T0.plusSeconds(1), LEASE, 10)).containsExactly(stored.get(2));
    assertThat(store.claimAlerts("b", T0.plus(LEASE).minusMillis(1), LEASE, 10)).isEmpty();
    // a lease until t is free at t: the claimer died
    assertThat(store.claimAlerts("b", T0.plus(LEASE), LEASE, 10)).containsExactly(stored.get(0), stored.get(1));
  }

  @Test
  void processedAlertIsNeverClaimedAgain() {
    List<AlertEvent> stored = store.recordAlerts(List.of(alert("fp-1", "firing", T0), alert("fp-2", "firing", T0)));
    store.claimAlerts("a", T0, LEASE, 10);

    store.markAlertProcessed(stored.get(0).id(), T0.plusSeconds(1), "opened", null);

    assertThat(store.claimAlerts("b", T0.plus(Duration.ofHours(1)), LEASE, 10)).containsExactly(stored.get(1));
  }

  @Test
  void markAlertProcessedTwiceIsHarmlessAndOfUnknownEventFails() {
    long id = store.recordAlerts(List.of(alert("fp-1", "firing", T0))).get(0).id();
    store.markAlertProcessed(id, T0, "opened", null);
    store.markAlertProcessed(id, T0.plusSeconds(5), "joined", null);

    assertThatThrownBy(() -> store.markAlertProcessed(id + 1000, T0, "opened", null))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("markAlertProcessed failed")
        .hasMessageContaining("no alert event " + (id + 1000));
  }

  // ---- incidents ------------------------------------------------------------------------------

  @Test
  void openIncidentWritesIncidentFirstEventAndEscalations() {
    Incident in = incident("inc-1", "orders-sink", T0);
    Escalation e0 = escalation("inc-1", 0, T0.plus(Duration.ofMinutes(15)));
    Escalation e1 = escalation("inc-1", 1, T0.plus(Duration.ofMinutes(45)));

    Optional<Incident> opened = store.openIncident(in, List.of(e1, e0), opened(T0));

    assertThat(opened).contains(in);
    assertThat(store.get("inc-1")).contains(in);
    assertThat(store.findOpen("main", "orders-sink")).contains(in);
    assertThat(store.events("inc-1")).containsExactly(opened(T0));
    assertThat(store.escalations("inc-1")).containsExactly(e0, e1);
  }

  @Test
  void secondOpenIncidentForTheSameConnectorIsEmptyAndWritesNothing() {
    open("inc-1", "orders-sink", T0);

    Optional<Incident> second = store.openIncident(incident("inc-2", "orders-sink", T0),
        List.of(escalation("inc-2", 0, T0)), opened(T0));

    assertThat(second).isEmpty();
    assertThat(store.get("inc-2")).isEmpty();
    assertThat(store.events("inc-2")).isEmpty();
    assertThat(store.escalations("inc-2")).isEmpty();
    assertThat(store.findOpen("main", "orders-sink")).map(Incident::id).contains("inc-1");
    // another connector is independent
    assertThat(store.openIncident(incident("inc-3", "users-source", T0), List.of(), opened(T0))).isPresent();
  }

  @Test
  void afterCloseANewIncidentCanOpenForTheConnector() {
    Incident first = open("inc-1", "orders-sink", T0);
    assertThat(store.updateIncident(first.closed("recovered", T0.plusSeconds(60)), null)).isTrue();

    assertThat(store.findOpen("main", "orders-sink")).isEmpty();
    assertThat(store.openIncident(incident("inc-2", "orders-sink", T0), List.of(), opened(T0))).isPresent();
    assertThat(store.findOpen("main", "orders-sink")).map(Incident::id).contains("inc-2");
    assertThat(store.get("inc-1")).map(Incident::state).contains(IncidentState.CLOSED);
  }

  @Test
  void openIncidentIsAtomic() {
    // the second escalation violates a constraint after the incident row was inserted
    assertThatThrownBy(() -> store.openIncident(incident("inc-1", "orders-sink", T0),
        List.of(escalation("inc-1", 0, T0), escalation("inc-1", -1, T0)), opened(T0)))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("openIncident failed");

    assertThat(store.get("inc-1")).isEmpty();
    assertThat(store.events("inc-1")).isEmpty();
    assertThat(store.escalations("inc-1")).isEmpty();
    assertThat(store.findOpen("main", "orders-sink")).isEmpty();
  }

  @Test
  void openIncidentRejectsInconsistentInput() {
    Incident closed = incident("inc-1", "orders-sink", null).closed("recovered", T0);
    assertThatThrownBy(() -> store.openIncident(closed, List.of(), opened(T0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.openIncident(incident("inc-1", "orders-sink", T0),
        List.of(escalation("inc-9", 0, T0)), opened(T0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("belongs to incident inc-9");
    assertThat(store.get("inc-1")).isEmpty();
  }

  @Test
  void concurrentOpensForOneConnectorOpenExactlyOne() throws Exception {
    List<Optional<Incident>> results = concurrently(i ->
        store.openIncident(incident("inc-" + i, "orders-sink", T0), List.of(escalation("inc-" + i, 0, T0)),
            opened(T0)));

    assertThat(results.stream().filter(Optional::isPresent)).hasSize(1);
    String winner = results.stream().flatMap(Optional::stream).findFirst().orElseThrow().id();
    assertThat(store.list(IncidentQuery.all())).extracting(Incident::id).containsExactly(winner);
    assertThat(store.nextEscalationDue()).contains(T0);
  }

  @Test
  void findOpenByFingerprintFindsTheOpenIncidentTheAlertJoined() {
    open("inc-1", "orders-sink", T0);
    store.linkAlert("inc-1", "fp-1", "KafkaConnectTaskFailure", "firing", T0);
    store.linkAlert("inc-1", "fp-1", "KafkaConnectTaskFailure", "firing", T0.plusSeconds(60));

    assertThat(store.findOpenByFingerprint("fp-1")).map(Incident::id).contains("inc-1");
    assertThat(store.findOpenByFingerprint("fp-2")).isEmpty();

    store.updateIncident(store.get("inc-1").orElseThrow().closed("recovered", T0.plusSeconds(90)), null);
    assertThat(store.findOpenByFingerprint("fp-1")).isEmpty();

    open("inc-2", "orders-sink", T0);
    store.linkAlert("inc-2", "fp-1", "KafkaConnectTaskFailure", "firing", T0.plusSeconds(120));
    assertThat(store.findOpenByFingerprint("fp-1")).map(Incident::id).contains("inc-2");
  }

  @Test
  void linkAlertToUnknownIncidentFails() {
    assertThatThrownBy(() -> store.linkAlert("inc-x", "fp-1", "KafkaConnectTaskFailure", "firing", T0))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("linkAlert failed");
  }

  @Test
  void getAndFindOpenOfUnknownAreEmpty() {
    assertThat(store.get("nope")).isEmpty();
    assertThat(store.findOpen("main", "nope")).isEmpty();
  }

  @Test
  void claimDueIncidentsTakesOnlyDueOpenUnleasedIncidentsInDueOrder() {
    open("inc-late", "c1", T0.plusSeconds(10));
    open("inc-first", "c2", T0.minusSeconds(10));
    open("inc-now", "c3", T0);
    open("inc-idle", "c4", null);
    Incident closed = open("inc-closed", "c5", T0.minusSeconds(20));
    // closed, yet still carrying a due action: the closed_at filter must hold on its own
    store.updateIncident(closed.closed("skipped", T0).withNextAction(Incident.REMEDIATE, T0.minusSeconds(20), T0),
        null);

    List<Incident> claimed = store.claimDueIncidents("a", T0, LEASE, 10);

    assertThat(claimed).extracting(Incident::id).containsExactly("inc-first", "inc-now");
    assertThat(claimed).allSatisfy(in -> {
      assertThat(in.leaseOwner()).isEqualTo("a");
      assertThat(in.leaseUntil()).isEqualTo(T0.plus(LEASE));
    });
    assertThat(store.get("inc-now").orElseThrow().leaseOwner()).isEqualTo("a");
    assertThat(store.claimDueIncidents("b", T0, LEASE, 10)).isEmpty();
    assertThat(store.claimDueIncidents("b", T0.plusSeconds(10), LEASE, 10))
        .extracting(Incident::id).containsExactly("inc-late");
  }

  @Test
  void renameConnectorMovesTheLeasedOpenIncidentToTheRecreatedConnector() {
    open("inc-1", "orders", T0);
    store.claimDueIncidents("a", T0, LEASE, 10);
    IncidentEvent recreated = new IncidentEvent(T0.plusSeconds(1), "connector_recreated", "connector recreated as orders.1");

    assertThat(store.renameConnector("inc-1", "b", "orders.1", recreated)).isFalse();
    assertThat(store.get("inc-1").orElseThrow().connector()).isEqualTo("orders");
    assertThat(store.renameConnector("inc-1", "a", "orders.1", recreated)).isTrue();

    assertThat(store.get("inc-1").orElseThrow().connector()).isEqualTo("orders.1");
    assertThat(store.findOpen("main", "orders.1")).map(Incident::id).contains("inc-1");
    assertThat(store.findOpen("main", "orders")).isEmpty();
    assertThat(store.events("inc-1")).extracting(IncidentEvent::kind).containsExactly("opened", "connector_recreated");
    // The old name is free for a new incident.
    assertThat(store.openIncident(incident("inc-2", "orders", T0), List.of(), opened(T0))).isPresent();
    assertThatThrownBy(() -> store.renameConnector("inc-none", "a", "x", recreated)).isInstanceOf(StoreException.class);
  }

  @Test
  void renewLeaseExtendsOnlyTheOwnersLeaseAndTouchesNothingElse() {
    open("inc-1", "c1", T0);
    store.claimDueIncidents("a", T0, LEASE, 10);
    store.noteAlertResolved("inc-1", T0.plusSeconds(5), null);

    assertThat(store.renewLease("inc-1", "b", T0.plusSeconds(90))).isFalse();
    assertThat(store.renewLease("inc-1", "a", T0.plusSeconds(90))).isTrue();

    Incident after = store.get("inc-1").orElseThrow();
    assertThat(after.leaseUntil()).isEqualTo(T0.plusSeconds(90));
    assertThat(after.leaseOwner()).isEqualTo("a");
    assertThat(after.alertResolvedAt()).isEqualTo(T0.plusSeconds(5));
    // Past the original lease, but renewed: another owner cannot claim it.
    assertThat(store.claimDueIncidents("b", T0.plus(LEASE).plusSeconds(1), LEASE, 10)).isEmpty();
  }

  @Test
  void claimDueIncidentsRespectsLimit() {
    open("inc-1", "c1", T0.minusSeconds(3));
    open("inc-2", "c2", T0.minusSeconds(2));
    open("inc-3", "c3", T0.minusSeconds(1));

    assertThat(store.claimDueIncidents("a", T0, LEASE, 2)).extracting(Incident::id).containsExactly("inc-1", "inc-2");
    assertThat(store.claimDueIncidents("b", T0, LEASE, 2)).extracting(Incident::id).containsExactly("inc-3");
    assertThat(store.claimDueIncidents("b", T0, LEASE, 0)).isEmpty();
  }

  @Test
  void incidentLeaseIsExclusiveUntilItExpires() {
    open("inc-1", "orders-sink", T0);

    assertThat(store.claimDueIncidents("a", T0, LEASE, 10)).hasSize(1);
    assertThat(store.claimDueIncidents("b", T0.plus(LEASE).minusMillis(1), LEASE, 10)).isEmpty();

    List<Incident> reclaimed = store.claimDueIncidents("b", T0.plus(LEASE), LEASE, 10);
    assertThat(reclaimed).extracting(Incident::leaseOwner).containsExactly("b");
    assertThat(reclaimed.get(0).leaseUntil()).isEqualTo(T0.plus(LEASE).plus(LEASE));
  }

  @Test
  void updateIncidentWritesEveryMutableFieldForTheLeaseOwner() {
    open("inc-1", "orders-sink", T0);
    Incident claimed = store.claimDueIncidents("a", T0, LEASE, 1).get(0);
    Instant t1 = T0.plusSeconds(5);
    Incident changed = new Incident("inc-1", "main", "orders-sink", "connect-db-connection-refused",
        IncidentState.REMEDIATING, null, 1, "new cause", "new trace", T0, t1, null, t1.plusSeconds(30),
        Incident.VERIFY, t1, "a", t1.plus(LEASE));

    assertThat(store.updateIncident(changed, "a")).isTrue();
    assertThat(store.get("inc-1")).contains(changed);

    Incident released = changed.released(t1.plusSeconds(1));
    assertThat(store.updateIncident(released, claimed.leaseOwner())).isTrue();
    assertThat(store.get("inc-1")).contains(released);
  }

  @Test
  void updateIncidentWithWrongExpectedOwnerWritesNothing() {
    Incident in = open("inc-1", "orders-sink", T0);
    store.claimDueIncidents("a", T0, LEASE, 1);
    Incident stolen = leased(in.withState(IncidentState.REMEDIATING, T0.plusSeconds(1)), "b", T0.plus(LEASE));

    assertThat(store.updateIncident(stolen, "b")).isFalse();
    // null means "nobody holds it": false while a's lease is live
    assertThat(store.updateIncident(in.withAttempts(5, T0.plusSeconds(1)), null)).isFalse();

    Incident stored = store.get("inc-1").orElseThrow();
    assertThat(stored.state()).isEqualTo(IncidentState.OPEN);
    assertThat(stored.attempts()).isZero();
    assertThat(stored.leaseOwner()).isEqualTo("a");
  }

  @Test
  void updateIncidentFencesAnOwnerWhoseExpiredLeaseWasTakenOver() {
    open("inc-1", "orders-sink", T0);
    Incident byA = store.claimDueIncidents("a", T0, LEASE, 1).get(0);
    store.claimDueIncidents("b", T0.plus(LEASE), LEASE, 1);

    assertThat(store.updateIncident(byA.withAttempts(1, T0.plus(LEASE).plusSeconds(1)), "a")).isFalse();
    assertThat(store.get("inc-1").orElseThrow().leaseOwner()).isEqualTo("b");
  }

  @Test
  void updateIncidentWithoutOwnerSucceedsWhenNoLeaseIsLive() {
    Incident in = open("inc-1", "orders-sink", T0);
    assertThat(store.updateIncident(in.withAttempts(1, T0.plusSeconds(1)), null)).isTrue();

    store.claimDueIncidents("a", T0.plusSeconds(1), LEASE, 1);
    // a's lease ended at T0+1s+30s; an operator closing it after that needs no owner
    Incident closedByOperator = store.get("inc-1").orElseThrow()
        .closed("closed_by_operator", T0.plusSeconds(1).plus(LEASE));
    assertThat(store.updateIncident(closedByOperator, null)).isTrue();
    assertThat(store.get("inc-1")).contains(closedByOperator);
  }

  @Test
  void updateIncidentKeepsAResolvedAlertNotedBetweenTheReadAndTheWrite() {
    open("inc-1", "orders-sink", T0);
    Incident stale = store.claimDueIncidents("a", T0, LEASE, 1).get(0);
    store.noteAlertResolved("inc-1", T0.plusSeconds(5), null);

    assertThat(stale.alertResolvedAt()).isNull();
    assertThat(store.updateIncident(stale.withAttempts(1, T0.plusSeconds(6)), "a")).isTrue();

    Incident after = store.get("inc-1").orElseThrow();
    assertThat(after.attempts()).isEqualTo(1);
    assertThat(after.alertResolvedAt()).as("the resolve noted meanwhile is kept").isEqualTo(T0.plusSeconds(5));
    // a stale copy that carries an older resolve time does not move it back either
    assertThat(store.updateIncident(after.withAlertResolvedAt(T0.plusSeconds(1), T0.plusSeconds(7)), "a")).isTrue();
    assertThat(store.get("inc-1").orElseThrow().alertResolvedAt()).isEqualTo(T0.plusSeconds(5));
  }

  @Test
  void updateIncidentOfUnknownIncidentFailsAndInconsistentOneIsRejected() {
    assertThatThrownBy(() -> store.updateIncident(incident("inc-x", "c", T0), null))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("updateIncident failed")
        .hasMessageContaining("no incident inc-x");

    Incident in = open("inc-1", "orders-sink", T0);
    assertThatThrownBy(() -> store.updateIncident(in.withState(IncidentState.CLOSED, T0), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("closedAt");
    assertThatThrownBy(() -> store.updateIncident(in.withNextAction(null, T0, T0), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nextAction");
  }

  @Test
  void reopeningAClosedIncidentWhileAnotherIsOpenFails() {
    Incident first = open("inc-1", "orders-sink", T0);
    Incident closed = first.closed("recovered", T0.plusSeconds(1));
    store.updateIncident(closed, null);
    open("inc-2", "orders-sink", T0);

    Incident reopened = new Incident("inc-1", "main", "orders-sink", first.rule(), IncidentState.OPEN, null, 0, null,
        null, T0, T0.plusSeconds(2), null, null, null, null, null, null);
    assertThatThrownBy(() -> store.updateIncident(reopened, null))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("updateIncident failed");
    assertThat(store.get("inc-1")).contains(closed);
  }

  @Test
  void noteAlertResolvedWithoutVerifyOnlySetsResolvedTime() {
    Incident in = open("inc-1", "orders-sink", T0.plusSeconds(600));

    store.noteAlertResolved("inc-1", T0.plusSeconds(1), null);

    assertThat(store.get("inc-1")).contains(in.withAlertResolvedAt(T0.plusSeconds(1), T0));
  }

  @Test
  void noteAlertResolvedSchedulesVerifyWhenNothingIsScheduled() {
    Incident in = open("inc-1", "orders-sink", null);

    store.noteAlertResolved("inc-1", T0.plusSeconds(1), T0.plusSeconds(31));

    Incident stored = store.get("inc-1").orElseThrow();
    assertThat(stored.alertResolvedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(stored.nextAction()).isEqualTo(Incident.VERIFY);
    assertThat(stored.nextActionAt()).isEqualTo(T0.plusSeconds(31));
    assertThat(stored.updatedAt()).isEqualTo(in.updatedAt());
  }

  @Test
  void noteAlertResolvedKeepsAnEarlierOrEqualActionAndReplacesALaterOne() {
    open("inc-early", "c1", T0.plusSeconds(10));
    open("inc-equal", "c2", T0.plusSeconds(31));
    open("inc-later", "c3", T0.plusSeconds(600));

    for (String id : List.of("inc-early", "inc-equal", "inc-later")) {
      store.noteAlertResolved(id, T0.plusSeconds(1), T0.plusSeconds(31));
    }

    assertThat(store.get("inc-early").orElseThrow())
        .extracting(Incident::nextAction, Incident::nextActionAt)
        .containsExactly(Incident.REMEDIATE, T0.plusSeconds(10));
    assertThat(store.get("inc-equal").orElseThrow())
        .extracting(Incident::nextAction, Incident::nextActionAt)
        .containsExactly(Incident.REMEDIATE, T0.plusSeconds(31));
    assertThat(store.get("inc-later").orElseThrow())
        .extracting(Incident::nextAction, Incident::nextActionAt)
        .containsExactly(Incident.VERIFY, T0.plusSeconds(31));
  }

  @Test
  void noteAlertResolvedDoesNotScheduleOnALeasedOrClosedIncident() {
    open("inc-leased", "c1", T0);
    store.claimDueIncidents("a", T0, LEASE, 10);
    Incident closed = open("inc-closed", "c2", null).closed("recovered", T0);
    store.updateIncident(closed, null);

    store.noteAlertResolved("inc-leased", T0.plusSeconds(1), T0.minusSeconds(60));
    store.noteAlertResolved("inc-closed", T0.plusSeconds(1), T0.plusSeconds(31));

    Incident leased = store.get("inc-leased").orElseThrow();
    assertThat(leased.alertResolvedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(leased.nextAction()).isEqualTo(Incident.REMEDIATE);
    assertThat(leased.nextActionAt()).isEqualTo(T0);
    Incident stillClosed = store.get("inc-closed").orElseThrow();
    assertThat(stillClosed.nextActionAt()).isNull();
    assertThat(stillClosed.alertResolvedAt()).isEqualTo(T0.plusSeconds(1));
  }

  @Test
  void noteAlertResolvedSchedulesOnceTheLeaseHasExpired() {
    open("inc-1", "orders-sink", T0);
    Incident claimed = store.claimDueIncidents("a", T0, LEASE, 1).get(0);
    // a is acting on it: nothing scheduled while it holds the lease
    assertThat(store.updateIncident(claimed.withNextAction(null, null, T0.plusSeconds(1)), "a")).isTrue();

    store.noteAlertResolved("inc-1", T0.plus(LEASE).minusMillis(1), T0.plusSeconds(60));
    assertThat(store.get("inc-1").orElseThrow().nextActionAt()).isNull();

    // a died; its lease is over
    store.noteAlertResolved("inc-1", T0.plus(LEASE), T0.plusSeconds(60));
    assertThat(store.get("inc-1").orElseThrow())
        .extracting(Incident::nextAction, Incident::nextActionAt, Incident::alertResolvedAt)
        .containsExactly(Incident.VERIFY, T0.plusSeconds(60), T0.plus(LEASE));
  }

  @Test
  void noteAlertResolvedOfUnknownIncidentFails() {
    assertThatThrownBy(() -> store.noteAlertResolved("inc-x", T0, T0))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("noteAlertResolved failed");
  }

  @Test
  void timelineIsOldestFirst() {
    open("inc-1", "orders-sink", T0);
    IncidentEvent later = new IncidentEvent(T0.plusSeconds(20), "step", "restart ok");
    IncidentEvent earlier = new IncidentEvent(T0.plusSeconds(10), "attempt", "attempt 1");
    IncidentEvent sameTime = new IncidentEvent(T0.plusSeconds(20), "verified", null);

    store.addEvent("inc-1", later);
    store.addEvent("inc-1", earlier);
    store.addEvent("inc-1", sameTime);

    assertThat(store.events("inc-1")).containsExactly(opened(T0), earlier, later, sameTime);
    assertThatThrownBy(() -> store.addEvent("inc-x", earlier)).isInstanceOf(StoreException.class);
  }

  @Test
  void listFiltersPagesAndOrdersNewestFirst() {
    // opened at T0+i; i = 0..5, alternating rules and clusters
    for (int i = 0; i < 6; i++) {
      Incident in = new Incident("inc-" + i, i % 2 == 0 ? "main" : "edge", "c" + i, i % 3 == 0 ? "r-a" : "r-b",
          IncidentState.OPEN, null, 0, null, null, T0.plusSeconds(i), T0.plusSeconds(i), null, null, null, null,
          null, null);
      store.openIncident(in, List.of(), opened(T0.plusSeconds(i))).orElseThrow();
    }
    // same openedAt as inc-5: id breaks the tie, descending
    store.openIncident(new Incident("inc-9", "main", "c9", "r-a", IncidentState.OPEN, null, 0, null, null,
        T0.plusSeconds(5), T0.plusSeconds(5), null, null, null, null, null, null), List.of(), opened(T0)).orElseThrow();
    store.updateIncident(store.get("inc-1").orElseThrow().closed("recovered", T0.plusSeconds(60)), null);
    store.updateIncident(store.get("inc-2").orElseThrow().withState(IncidentState.ESCALATED, T0.plusSeconds(60)),
        null);

    assertThat(ids(IncidentQuery.all())).containsExactly("inc-9", "inc-5", "inc-4", "inc-3", "inc-2", "inc-1", "inc-0");
    assertThat(ids(new IncidentQuery(null, null, null, null, null, null, 3, 0)))
        .containsExactly("inc-9", "inc-5", "inc-4");
    assertThat(ids(new IncidentQuery(null, null, null, null, null, null, 3, 3)))
        .containsExactly("inc-3", "inc-2", "inc-1");
    assertThat(ids(new IncidentQuery(null, null, null, null, null, null, 3, 6))).containsExactly("inc-0");
    assertThat(ids(new IncidentQuery(null, null, null, null, null, null, 3, 7))).isEmpty();
    assertThat(ids(new IncidentQuery(IncidentState.ESCALATED, null, null, null, null, null, 100, 0)))
        .containsExactly("inc-2");
    assertThat(ids(new IncidentQuery(null, false, null, null, null, null, 100, 0))).containsExactly("inc-1");
    assertThat(ids(new IncidentQuery(null, true, null, null, null, null, 100, 0)))
        .containsExactly("inc-9", "inc-5", "inc-4", "inc-3", "inc-2", "inc-0");
    assertThat(ids(new IncidentQuery(null, null, "edge", null, null, null, 100, 0)))
        .containsExactly("inc-5", "inc-3", "inc-1");
    assertThat(ids(new IncidentQuery(null, null, null, "c4", null, null, 100, 0))).containsExactly("inc-4");
    assertThat(ids(new IncidentQuery(null, null, null, null, "r-a", null, 100, 0)))
        .containsExactly("inc-9", "inc-3", "inc-0");
    assertThat(ids(new IncidentQuery(null, null, null, null, null, T0.plusSeconds(4), 100, 0)))
        .containsExactly("inc-9", "inc-5", "inc-4");
    assertThat(ids(new IncidentQuery(null, true, "main", null, "r-a", T0.plusSeconds(1), 100, 0)))
        .containsExactly("inc-9");

    assertThatThrownBy(() -> store.list(new IncidentQuery(null, null, null, null, null, null, 0, 0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list(new IncidentQuery(null, null, null, null, null, null, 1001, 0)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private List<String> ids(IncidentQuery q) {
    return store.list(q).stream().map(Incident::id).toList();
  }

  @Test
  void countOpenByRuleCountsOnlyOpenIncidents() {
    assertThat(store.countOpenByRule()).isEmpty();
    open("inc-1", "c1", null);
    open("inc-2", "c2", null);
    store.openIncident(new Incident("inc-3", "main", "c3", "catch-all", IncidentState.ESCALATED, null, 3, null, null,
        T0, T0, null, null, null, null, null, null), List.of(), opened(T0));
    store.updateIncident(store.get("inc-2").orElseThrow().closed("recovered", T0), null);

    assertThat(store.countOpenByRule()).containsExactly(
        Map.entry("catch-all", 1), Map.entry("connect-db-connection-refused", 1));
  }

  // ---- steps ----------------------------------------------------------------------------------

  @Test
  void aStepStartsAtMostOnce() {
    open("inc-1", "orders-sink", T0);
    StepRun s = step("inc-1", 1, 0, T0);

    Optional<StepRun> started = store.startStep(s);
    assertThat(started).isPresent();
    assertThat(started.get().id()).isPositive();
    assertThat(started.get()).isEqualTo(new StepRun(started.get().id(), "inc-1", 1, 0, "restart",
        "{\"include_tasks\":true}", T0, null, null, null, "{\"state\":\"FAILED\"}", null));

    assertThat(store.startStep(step("inc-1", 1, 0, T0.plusSeconds(5)))).isEmpty();
    assertThat(store.startStep(step("inc-1", 2, 0, T0.plusSeconds(5)))).isPresent();
    assertThat(store.startStep(step("inc-1", 1, -1, T0.plusSeconds(6)))).isPresent();
    assertThat(store.steps("inc-1")).hasSize(3);
  }

  @Test
  void finishStepRecordsTheEndAndStepsAreInStartOrder() {
    open("inc-1", "orders-sink", T0);
    StepRun second = store.startStep(step("inc-1", 1, 1, T0.plusSeconds(10))).orElseThrow();
    StepRun first = store.startStep(step("inc-1", 1, 0, T0)).orElseThrow();

    store.finishStep(first.id(), T0.plusSeconds(2), "ok", null, "{\"state\":\"RUNNING\"}");
    store.finishStep(second.id(), T0.plusSeconds(12), "failed", "409 Conflict", null);

    List<StepRun> steps = store.steps("inc-1");
    assertThat(steps).extracting(StepRun::id).containsExactly(first.id(), second.id());
    assertThat(steps.get(0)).extracting(StepRun::endedAt, StepRun::outcome, StepRun::error, StepRun::after)
        .containsExactly(T0.plusSeconds(2), "ok", null, "{\"state\":\"RUNNING\"}");
    assertThat(steps.get(1)).extracting(StepRun::endedAt, StepRun::outcome, StepRun::error, StepRun::before)
        .containsExactly(T0.plusSeconds(12), "failed", "409 Conflict", "{\"state\":\"FAILED\"}");

    assertThatThrownBy(() -> store.finishStep(second.id() + 1000, T0, "ok", null, null))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("finishStep failed");
    assertThatThrownBy(() -> store.startStep(step("inc-x", 1, 0, T0)))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("startStep failed");
  }

  // ---- budgets --------------------------------------------------------------------------------

  @Test
  void budgetsRoundTrip() {
    assertThat(store.budget("main", "orders-sink", "r")).isEqualTo(Budget.empty("main", "orders-sink", "r"));

    Budget b1 = new Budget("main", "orders-sink", "r", 2, T0, null);
    store.saveBudget(b1);
    assertThat(store.budget("main", "orders-sink", "r")).isEqualTo(b1);

    Budget b2 = new Budget("main", "orders-sink", "r", 0, T0.plusSeconds(60), T0.plusSeconds(120));
    store.saveBudget(b2);
    assertThat(store.budget("main", "orders-sink", "r")).isEqualTo(b2);
    assertThat(store.budget("main", "orders-sink", "other")).isEqualTo(Budget.empty("main", "orders-sink", "other"));
    assertThat(store.budget("edge", "orders-sink", "r")).isEqualTo(Budget.empty("edge", "orders-sink", "r"));
  }

  // ---- escalations ----------------------------------------------------------------------------

  @Test
  void scheduleEscalationKeepsTheFirstTimerPerLevel() {
    open("inc-1", "orders-sink", T0);
    Escalation first = escalation("inc-1", 0, T0.plusSeconds(900));
    store.scheduleEscalation(first);
    store.scheduleEscalation(escalation("inc-1", 0, T0.plusSeconds(1)));
    Escalation gaveUp = escalation("inc-1", Escalation.GAVE_UP, T0.plusSeconds(60));
    store.scheduleEscalation(gaveUp);

    assertThat(store.escalations("inc-1")).containsExactly(first, gaveUp);
    assertThatThrownBy(() -> store.scheduleEscalation(escalation("inc-x", 0, T0)))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("scheduleEscalation failed");
  }

  @Test
  void claimDueEscalationsTakesOnlyDueOnesInDueOrderAndLeasesThem() {
    open("inc-1", "c1", T0, escalation("inc-1", 0, T0.minusSeconds(5)), escalation("inc-1", 1, T0.plusSeconds(5)));
    open("inc-2", "c2", T0, escalation("inc-2", 0, T0.minusSeconds(10)), escalation("inc-2", 1, T0));

    assertThat(store.claimDueEscalations("a", T0, LEASE, 10))
        .extracting(Escalation::incidentId, Escalation::level)
        .containsExactly(tuple("inc-2", 0), tuple("inc-1", 0),
            tuple("inc-2", 1));
    assertThat(store.claimDueEscalations("b", T0.plusSeconds(5), LEASE, 10))
        .extracting(Escalation::incidentId, Escalation::level)
        .containsExactly(tuple("inc-1", 1));
    assertThat(store.claimDueEscalations("b", T0.plus(LEASE).minusMillis(1), LEASE, 10)).isEmpty();
  }

  @Test
  void escalationLeaseExpiresButFiredAndCancelledAreNeverClaimed() {
    open("inc-1", "c1", T0, escalation("inc-1", 0, T0), escalation("inc-1", 1, T0), escalation("inc-1", 2, T0));
    assertThat(store.claimDueEscalations("a", T0, LEASE, 10)).hasSize(3);

    store.markEscalationFired("inc-1", 0, T0.plusSeconds(1));
    store.markEscalationFired("inc-1", 0, T0.plusSeconds(2));
    store.cancelEscalations("inc-1", T0.plusSeconds(3));

    List<Escalation> all = store.escalations("inc-1");
    assertThat(all.get(0).firedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(all.get(0).cancelledAt()).isNull();
    assertThat(all.get(1).cancelledAt()).isEqualTo(T0.plusSeconds(3));
    assertThat(all.get(2).cancelledAt()).isEqualTo(T0.plusSeconds(3));
    assertThat(store.claimDueEscalations("b", T0.plus(Duration.ofHours(1)), LEASE, 10)).isEmpty();
    assertThat(store.nextEscalationDue()).isEmpty();
  }

  @Test
  void expiredEscalationLeaseCanBeReclaimed() {
    open("inc-1", "c1", T0, escalation("inc-1", 0, T0));
    store.claimDueEscalations("a", T0, LEASE, 10);

    assertThat(store.claimDueEscalations("b", T0.plus(LEASE), LEASE, 10)).hasSize(1);
    assertThat(store.claimDueEscalations("c", T0.plus(LEASE), LEASE, 10)).isEmpty();
  }

  @Test
  void escalationsOfAClosedIncidentAreNotClaimed() {
    Incident in = open("inc-1", "c1", T0, escalation("inc-1", 0, T0));
    store.updateIncident(in.closed("recovered", T0), null);

    assertThat(store.claimDueEscalations("a", T0.plusSeconds(1), LEASE, 10)).isEmpty();
    assertThat(store.nextEscalationDue()).isEmpty();
  }

  @Test
  void markEscalationFiredOfUnknownEscalationFails() {
    assertThatThrownBy(() -> store.markEscalationFired("inc-x", 0, T0))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("markEscalationFired failed");
  }

  @Test
  void nextEscalationDueIsTheEarliestClaimableTime() {
    assertThat(store.nextEscalationDue()).isEmpty();
    open("inc-1", "c1", T0, escalation("inc-1", 0, T0.plusSeconds(900)), escalation("inc-1", 1, T0.plusSeconds(60)));
    open("inc-2", "c2", T0, escalation("inc-2", 0, T0.plusSeconds(300)));

    assertThat(store.nextEscalationDue()).contains(T0.plusSeconds(60));

    // claimed and being delivered: it is claimable again only when the lease ends
    store.claimDueEscalations("a", T0.plusSeconds(60), LEASE, 1);
    assertThat(store.nextEscalationDue()).contains(T0.plusSeconds(60).plus(LEASE));

    store.markEscalationFired("inc-1", 1, T0.plusSeconds(61));
    assertThat(store.nextEscalationDue()).contains(T0.plusSeconds(300));

    store.cancelEscalations("inc-2", T0.plusSeconds(62));
    assertThat(store.nextEscalationDue()).contains(T0.plusSeconds(900));
  }

  // ---- housekeeping ---------------------------------------------------------------------------

  @Test
  void pingSucceedsOnAHealthyStore() {
    store.ping();
    store.ping();
  }

  @Test
  void pruneDeletesOldClosedIncidentsWithEverythingTheyOwnAndOldProcessedAlerts() {
    Instant cutoff = T0.plus(Duration.ofDays(30));
    Incident old = open("inc-old", "c1", T0, escalation("inc-old", 0, T0));
    store.linkAlert("inc-old", "fp-old", "KafkaConnectTaskFailure", "firing", T0);
    store.startStep(step("inc-old", 1, 0, T0));
    store.addEvent("inc-old", new IncidentEvent(T0, "closed", "recovered"));
    store.updateIncident(old.closed("recovered", cutoff.minusMillis(1)), null);
    Incident recent = open("inc-recent", "c2", T0);
    store.updateIncident(recent.closed("recovered", cutoff), null);
    open("inc-open", "c3", T0);
    store.saveBudget(new Budget("main", "c1", "r", 3, T0, null));
    List<AlertEvent> alerts = store.recordAlerts(List.of(alert("fp-1", "firing", T0), alert("fp-2", "firing", T0),
        alert("fp-3", "firing", cutoff)));
    store.markAlertProcessed(alerts.get(0).id(), T0, "opened", "inc-old");
    store.markAlertProcessed(alerts.get(2).id(), cutoff, "joined", "inc-open");

    assertThat(store.prune(cutoff)).isEqualTo(1);

    assertThat(store.get("inc-old")).isEmpty();
    assertThat(store.events("inc-old")).isEmpty();
    assertThat(store.steps("inc-old")).isEmpty();
    assertThat(store.escalations("inc-old")).isEmpty();
    assertThat(store.findOpenByFingerprint("fp-old")).isEmpty();
    assertThat(store.get("inc-recent")).isPresent();
    assertThat(store.get("inc-open")).isPresent();
    assertThat(store.budget("main", "c1", "r").attempts()).isEqualTo(3);
    // the unprocessed old alert is kept (and still claimable); the processed recent one is kept too
    assertThat(store.claimAlerts("a", cutoff, LEASE, 10)).extracting(AlertEvent::id)
        .containsExactly(alerts.get(1).id());
    assertThat(store.prune(cutoff)).isZero();
  }

  @Test
  void instantsRoundTripAtMillisecondPrecision() {
    Instant withNanos = Instant.parse("2025-03-01T12:00:00.123456789Z");
    Instant epoch = Instant.EPOCH;
    Instant farFuture = Instant.parse("2999-12-31T23:59:59.999Z");
    Incident in = new Incident("inc-1", "main", "c1", "r", IncidentState.OPEN, null, 0, null, null, withNanos,
        farFuture, null, epoch, Incident.REMEDIATE, withNanos, null, null);

    Incident stored = store.openIncident(in, List.of(), opened(withNanos)).orElseThrow();

    Instant millis = Instant.parse("2025-03-01T12:00:00.123Z");
    assertThat(stored.openedAt()).isEqualTo(millis);
    assertThat(stored.updatedAt()).isEqualTo(farFuture);
    assertThat(stored.nextActionAt()).isEqualTo(epoch);
    assertThat(stored.alertResolvedAt()).isEqualTo(millis);
    assertThat(store.events("inc-1").get(0).at()).isEqualTo(millis);
    assertThat(store.recordAlerts(List.of(alert("fp", "firing", withNanos))).get(0).receivedAt()).isEqualTo(millis);
  }

  @Test
  void committedStateSurvivesARestart() {
    open("inc-1", "orders-sink", T0, escalation("inc-1", 0, T0.plusSeconds(900)));
    AlertEvent a = store.recordAlerts(List.of(alert("fp-1", "firing", T0))).get(0);
    store.close();

    store = openStore(2);

    assertThat(store.findOpen("main", "orders-sink")).map(Incident::id).contains("inc-1");
    assertThat(store.nextEscalationDue()).contains(T0.plusSeconds(900));
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).containsExactly(a);
  }

  @Test
  void aClosedStoreFailsWithStoreException() {
    store.close();
    assertThatThrownBy(() -> store.ping()).isInstanceOf(StoreException.class).hasMessageStartingWith("ping failed");
    assertThatThrownBy(() -> store.recordAlerts(List.of(alert("fp", "firing", T0))))
        .isInstanceOf(StoreException.class);
    store = null;
  }

  // ---- approvals ------------------------------------------------------------------------------

  static final Duration TTL = Duration.ofMinutes(30);

  static Approval approvalRequest(String incidentId, int attempt, int gate, Instant at) {
    return Approval.request(incidentId, attempt, gate, at, TTL, false, "owner",
        "{\"steps\":[{\"index\":0,\"type\":\"patch_config\"}]}", "steps[0].patch_config is destructive");
  }

  /** Puts an open incident in AWAITING_APPROVAL, unleased, waiting until {@code until}. */
  void awaiting(Incident in, Instant until) {
    Incident w = new Incident(in.id(), in.cluster(), in.connector(), in.rule(), IncidentState.AWAITING_APPROVAL, null,
        1, in.cause(), in.trace(), in.openedAt(), T0, null, until, Incident.APPROVAL, null, null, null);
    assertThat(store.updateIncident(w, null)).isTrue();
  }

  @Test
  void anApprovalIsRequestedOnceAndListedWithEverything() {
    open("inc-1", "orders-sink", T0);
    Approval stored = store.requestApproval(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0));
    assertThat(stored).isEqualTo(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0));
    assertThat(stored.expiresAt()).isEqualTo(T0.plus(TTL));
    assertThat(store.requestApproval(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0.plusSeconds(5))))
        .as("idempotent: the first request stays").isEqualTo(stored);
    store.markApprovalNotified("inc-1", 1, Approval.BEFORE_STEPS, T0.plusSeconds(1));
    store.markApprovalNotified("inc-1", 1, Approval.BEFORE_STEPS, T0.plusSeconds(9));
    assertThat(store.approvals("inc-1")).singleElement().satisfies(a -> {
      assertThat(a.notifiedAt()).isEqualTo(T0.plusSeconds(1));
      assertThat(a.pending()).isTrue();
      assertThat(a.state()).isEqualTo("pending");
    });
  }

  @Test
  void onlyOneApprovalOfAnIncidentIsPendingAtATime() {
    open("inc-1", "orders-sink", T0);
    store.requestApproval(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0));
    assertThatThrownBy(() -> store.requestApproval(approvalRequest("inc-1", 1, 3, T0)))
        .isInstanceOf(StoreException.class);
    store.decideApproval("inc-1", Approval.Decision.APPROVED, "human", "alice", null, T0.plusSeconds(1));
    store.requestApproval(approvalRequest("inc-1", 1, 3, T0.plusSeconds(2)));
    assertThat(store.approvals("inc-1")).extracting(Approval::gate, Approval::state)
        .containsExactly(tuple(-1, "approved"), tuple(3, "pending"));
  }

  @Test
  void aHumanDecisionIsRecordedOnceAndMakesTheIncidentDue() {
    Incident in = open("inc-1", "orders-sink", T0);
    awaiting(in, T0.plus(TTL));
    store.requestApproval(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0));
    Instant at = T0.plusSeconds(42);

    Approval.Outcome first = store.decideApproval("inc-1", Approval.Decision.APPROVED, "human", "alice", "go", at);
    assertThat(first.status()).isEqualTo(Approval.Outcome.Status.DECIDED);
    assertThat(first.approval()).satisfies(a -> {
      assertThat(a.decision()).isEqualTo(Approval.Decision.APPROVED);
      assertThat(a.decidedVia()).isEqualTo("human");
      assertThat(a.decidedBy()).isEqualTo("alice");
      assertThat(a.decidedAt()).isEqualTo(at);
      assertThat(a.comment()).isEqualTo("go");
    });
    assertThat(store.get("inc-1").orElseThrow()).satisfies(i -> {
      assertThat(i.nextActionAt()).as("due now, not at the TTL").isEqualTo(at);
      assertThat(i.nextAction()).isEqualTo(Incident.APPROVAL);
      assertThat(i.state()).isEqualTo(IncidentState.AWAITING_APPROVAL);
    });

    Approval.Outcome second = store.decideApproval("inc-1", Approval.Decision.REJECTED, "human", "bob", null,
        at.plusSeconds(1));
    assertThat(second.status()).isEqualTo(Approval.Outcome.Status.NOT_PENDING);
    assertThat(second.approval().decidedBy()).as("the first decision stands").isEqualTo("alice");
    assertThat(store.decideApproval("nope", Approval.Decision.APPROVED, "human", "a", null, at).status())
        .isEqualTo(Approval.Outcome.Status.NO_INCIDENT);
    open("inc-2", "billing-sink", T0);
    assertThat(store.decideApproval("inc-2", Approval.Decision.APPROVED, "human", "a", null, at))
        .isEqualTo(new Approval.Outcome(Approval.Outcome.Status.NOT_PENDING, null));
  }

  @Test
  void theTtlDecidesExactlyAtExpiryAndAHumanOnlyBefore() {
    open("inc-1", "orders-sink", T0);
    store.requestApproval(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0));
    Instant expiry = T0.plus(TTL);

    assertThat(store.decideApproval("inc-1", Approval.Decision.REJECTED, "ttl", "runbookd", null,
        expiry.minusMillis(1)).status()).isEqualTo(Approval.Outcome.Status.NOT_EXPIRED);
    assertThat(store.decideApproval("inc-1", Approval.Decision.APPROVED, "human", "alice", null, expiry).status())
        .isEqualTo(Approval.Outcome.Status.EXPIRED);
    assertThat(store.decideApproval("inc-1", Approval.Decision.REJECTED, "ttl", "runbookd", null, expiry).status())
        .isEqualTo(Approval.Outcome.Status.DECIDED);
    assertThat(store.approvals("inc-1").get(0).decidedVia()).isEqualTo("ttl");
  }

  @Test
  void concurrentDecisionsRecordExactlyOne() throws Exception {
    open("inc-1", "orders-sink", T0);
    store.requestApproval(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0));
    List<Approval.Outcome.Status> outcomes = concurrently(t -> store.decideApproval("inc-1",
        t % 2 == 0 ? Approval.Decision.APPROVED : Approval.Decision.REJECTED, "human", "user-" + t, null,
        T0.plusSeconds(1)).status());
    assertThat(outcomes).filteredOn(o -> o == Approval.Outcome.Status.DECIDED).hasSize(1);
    assertThat(outcomes).filteredOn(o -> o == Approval.Outcome.Status.NOT_PENDING).hasSize(THREADS - 1);
  }

  // ---- storms ---------------------------------------------------------------------------------

  static final ClusterLimits.StormSettings STORM = new ClusterLimits.StormSettings(3, Duration.ofSeconds(60), "oncall");

  /** Opens an incident of {@code connector} on cluster "main" at {@code at}. */
  Incident openAt(String id, String connector, Instant at) {
    Incident in = new Incident(id, "main", connector, "r", IncidentState.OPEN, null, 0, null, null, at, at, null, at,
        Incident.REMEDIATE, null, null, null);
    return store.openIncident(in, List.of(), opened(at)).orElseThrow();
  }

  Optional<Storm> fail(String id, String connector, Instant at) {
    openAt(id, connector, at);
    return store.noteClusterFailure("main", at, STORM);
  }

  @Test
  void aStormStartsWhenEnoughDistinctConnectorsFailWithinTheWindow() {
    assertThat(fail("i1", "a", T0)).isEmpty();
    store.updateIncident(store.get("i1").orElseThrow().closed("recovered", T0.plusSeconds(1)), null);
    assertThat(fail("i2", "a", T0.plusSeconds(2))).as("the same connector again is not a second one").isEmpty();
    assertThat(fail("i3", "b", T0.plusSeconds(60))).as("a's first failure left the window").isEmpty();
    assertThat(store.currentStorm("main")).isEmpty();

    Optional<Storm> started = fail("i4", "c", T0.plusSeconds(61));
    assertThat(started).hasValueSatisfying(s -> {
      assertThat(s.cluster()).isEqualTo("main");
      assertThat(s.startedAt()).isEqualTo(T0.plusSeconds(61));
      assertThat(s.quietUntil()).isEqualTo(T0.plusSeconds(121));
      assertThat(s.notifier()).isEqualTo("oncall");
      assertThat(s.connectors()).isEqualTo(3);
      assertThat(s.sample()).containsExactly("a", "b", "c");
      assertThat(s.activeAt(T0.plusSeconds(121).minusMillis(1))).isTrue();
      assertThat(s.activeAt(T0.plusSeconds(121))).isFalse();
    });
    assertThat(store.currentStorm("main")).map(Storm::id).isEqualTo(started.map(Storm::id));
  }

  @Test
  void aStormLastsUntilNoFailureArrivedForAWindowThenEnds() {
    fail("i1", "a", T0);
    fail("i2", "b", T0);
    Storm storm = fail("i3", "c", T0).orElseThrow();
    assertThat(fail("i4", "d", T0.plusSeconds(50))).as("extends, does not start another").isEmpty();
    Storm extended = store.currentStorm("main").orElseThrow();
    assertThat(extended.id()).isEqualTo(storm.id());
    assertThat(extended.quietUntil()).isEqualTo(T0.plusSeconds(110));
    assertThat(extended.connectors()).isEqualTo(4);

    assertThat(store.endStorms(T0.plusSeconds(110).minusMillis(1))).isEmpty();
    assertThat(store.endStorms(T0.plusSeconds(110))).singleElement()
        .satisfies(s -> assertThat(s.endedAt()).isEqualTo(T0.plusSeconds(110)));
    assertThat(store.currentStorm("main")).isEmpty();
    assertThat(store.latestStorm("main")).as("an ended storm is still the latest (its members' first attempts"
        + " look at it)").hasValueSatisfying(s -> {
          assertThat(s.id()).isEqualTo(storm.id());
          assertThat(s.endedAt()).isEqualTo(T0.plusSeconds(110));
        });
    assertThat(store.latestStorm("other")).isEmpty();
    assertThat(fail("i5", "e", T0.plusSeconds(111))).as("b, c and d failed more than a window ago").isEmpty();
  }

  @Test
  void concurrentFailuresStartOneStorm() throws Exception {
    for (int i = 0; i < THREADS; i++) {
      openAt("i" + i, "c" + i, T0);
    }
    List<Boolean> started = concurrently(t -> store.noteClusterFailure("main", T0, STORM).isPresent());
    assertThat(started).filteredOn(b -> b).hasSize(1);
  }

  @Test
  void aStormSummaryIsClaimedByOneAndMarkedSentOnce() {
    fail("i1", "a", T0);
    fail("i2", "b", T0);
    Storm storm = fail("i3", "c", T0).orElseThrow();
    assertThat(store.claimStormSummaries("r1", T0, LEASE, 10)).singleElement()
        .satisfies(s -> assertThat(s.id()).isEqualTo(storm.id()));
    assertThat(store.claimStormSummaries("r2", T0.plus(LEASE).minusMillis(1), LEASE, 10)).isEmpty();
    assertThat(store.claimStormSummaries("r2", T0.plus(LEASE), LEASE, 10)).hasSize(1);
    store.markStormSummarySent(storm.id(), T0.plusSeconds(1));
    store.markStormSummarySent(storm.id(), T0.plusSeconds(2));
    assertThat(store.claimStormSummaries("r3", T0.plusSeconds(3600), LEASE, 10)).isEmpty();
    assertThat(store.currentStorm("main").orElseThrow().summarySentAt()).isEqualTo(T0.plusSeconds(1));
  }

  @Test
  void aStormOverMessageIsDueOnceAfterTheSummaryAndItsMembersAreTheIncidentsOfTheStorm() {
    openAt("i0", "old", T0.minusSeconds(61));
    fail("i1", "a", T0);
    fail("i2", "b", T0);
    Storm storm = fail("i3", "c", T0).orElseThrow();
    store.updateIncident(store.get("i1").orElseThrow().closed("recovered", T0.plusSeconds(70)), null);
    assertThat(store.stormMembers(storm)).extracting(io.runbookd.model.StormMember::connector)
        .as("from the window before the start to the hold's end").containsExactly("a", "b", "c");
    assertThat(store.stormMembers(storm).get(0).state()).isEqualTo(IncidentState.CLOSED);
    assertThat(store.stormsAwaitingOver()).as("not ended").isEmpty();
    store.endStorms(T0.plusSeconds(60));
    assertThat(store.stormsAwaitingOver()).as("its summary is not sent").isEmpty();
    store.markStormOver(storm.id(), T0.plusSeconds(61));
    assertThat(store.claimStormOverDeliveries("r1", T0.plusSeconds(61), LEASE, 10)).as("never before the summary")
        .isEmpty();
    assertThat(store.claimStormSummaryDeliveries("r1", T0.plusSeconds(61), LEASE, 10)).hasSize(1);
    store.markStormSummarySent(storm.id(), T0.plusSeconds(62));
    assertThat(store.stormsAwaitingOver()).singleElement().satisfies(s -> assertThat(s.id()).isEqualTo(storm.id()));
    assertThat(store.claimStormOverDeliveries("r1", T0.plusSeconds(63), LEASE, 10)).as("not due yet").isEmpty();

    store.markStormOver(storm.id(), T0.plusSeconds(80));
    store.markStormOver(storm.id(), T0.plusSeconds(81));
    assertThat(store.stormsAwaitingOver()).isEmpty();
    assertThat(store.claimStormOverDeliveries("r1", T0.plusSeconds(80), LEASE, 10)).singleElement().satisfies(d -> {
      assertThat(d.item().id()).isEqualTo(storm.id());
      assertThat(d.mayHaveBeenSent()).as("the summary's claims do not count").isFalse();
    });
    assertThat(store.claimStormOverDeliveries("r2", T0.plusSeconds(80).plus(LEASE).minusMillis(1), LEASE, 10)).isEmpty();
    store.retryStormOverAt(storm.id(), T0.plusSeconds(90));
    assertThat(store.claimStormOverDeliveries("r2", T0.plusSeconds(90).minusMillis(1), LEASE, 10)).isEmpty();
    assertThat(store.claimStormOverDeliveries("r2", T0.plusSeconds(90), LEASE, 10)).singleElement()
        .satisfies(d -> assertThat(d.earlierClaims()).isEqualTo(1));
    assertThat(store.releaseStormSummaryClaims("r2")).as("handed back when its replica stops").isEqualTo(1);
    assertThat(store.claimStormOverDeliveries("r3", T0.plusSeconds(91), LEASE, 10)).hasSize(1);
    store.markStormOverSent(storm.id(), T0.plusSeconds(92));
    store.retryStormOverAt(storm.id(), T0.plusSeconds(93));
    assertThat(store.claimStormOverDeliveries("r4", T0.plusSeconds(3600), LEASE, 10)).as("sent once").isEmpty();
    assertThat(store.claimStormSummaryDeliveries("r4", T0.plusSeconds(3600), LEASE, 10)).isEmpty();
  }

  // ---- blast radius ---------------------------------------------------------------------------

  static ClusterLimits limits(int concurrent, int actions) {
    return new ClusterLimits(concurrent, actions, Duration.ofSeconds(10),
        new ClusterLimits.StormSettings(0, Duration.ofSeconds(60), null), true, Duration.ofSeconds(30),
        Duration.ofSeconds(2));
  }

  /** Opens and leases (claims) {@code n} incidents of cluster "main": i0..i(n-1). */
  void leasedIncidents(int n) {
    for (int i = 0; i < n; i++) {
      open("i" + i, "c" + i, T0);
    }
    assertThat(store.claimDueIncidents("replica", T0, LEASE, n)).hasSize(n);
  }

  @Test
  void aStoredWaitRoundTripsWithTheIncidentAndIsRemovedByTheNextSave() {
    leasedIncidents(1);
    Incident leased = store.get("i0").orElseThrow();
    Wait w = new Wait("i0", Wait.Kind.STEP, 1, 1, 7, ConnectorState.STOPPED, T0.plusSeconds(120), Duration.ofSeconds(5),
        T0.plusSeconds(3), "{\"tasks.max\":\"1\"}", 0, T0).withLeftFailedAt(T0.plusSeconds(2))
        .withKafka(new io.runbookd.model.KafkaWait(true, 1_000L, Duration.ofMinutes(2), "connect-orders", "orders-dlq",
            5_210L, 4_900L, 40L, T0.plusSeconds(1)));
    Incident waiting = leased.withState(IncidentState.REMEDIATING, T0.plusSeconds(4))
        .withNextAction(Incident.WAIT, T0.plusSeconds(6), T0.plusSeconds(4)).released(T0.plusSeconds(4));
    assertThat(store.saveProgress(waiting, "replica", w)).isTrue();
    assertThat(store.storedWait("i0")).contains(w);
    assertThat(store.get("i0").orElseThrow().nextAction()).isEqualTo(Incident.WAIT);
    assertThat(store.saveProgress(waiting, "replica", null)).as("the lease was given back with the wait").isFalse();
    assertThat(store.storedWait("i0")).as("nothing written without the lease").contains(w);

    Incident again = store.claimDueIncidents("replica", T0.plusSeconds(6), LEASE, 1).get(0);
    assertThat(store.saveProgress(again.withNextAction(Incident.REMEDIATE, T0.plusSeconds(7), T0.plusSeconds(7)), "replica",
        null)).isTrue();
    assertThat(store.storedWait("i0")).isEmpty();
  }

  @Test
  void aReservationHeldByAStoredWaitStillCountsAsInFlight() {
    leasedIncidents(2);
    Admission a = store.admit("main", "i0", 1, 1, limits(1, 100), T0);
    assertThat(a.admitted()).isTrue();
    Incident leased = store.get("i0").orElseThrow();
    Wait verifying = Wait.verification("i0", Wait.Kind.ATTEMPT, 1, ConnectorState.RUNNING, T0, Duration.ofMinutes(2),
        Duration.ofSeconds(30), a.reservationId(), T0);
    assertThat(store.saveProgress(leased.withState(IncidentState.REMEDIATING, T0).withNextAction(Incident.WAIT,
        T0.plusSeconds(2), T0).released(T0), "replica", verifying)).isTrue();
    assertThat(store.admit("main", "i1", 1, 1, limits(1, 100), T0.plusSeconds(1)).decision())
        .as("the verifying attempt holds the cluster's only slot although its incident is not leased")
        .isInstanceOfSatisfying(ClusterGuardPolicy.Decision.Defer.class,
            d -> assertThat(d.reason()).isEqualTo(ClusterGuardPolicy.Reason.CONCURRENCY));
    store.releaseReservation(a.reservationId(), T0.plusSeconds(2));
    assertThat(store.admit("main", "i1", 1, 1, limits(1, 100), T0.plusSeconds(3)).admitted()).isTrue();
  }

  @Test
  void concurrentAdmissionsNeverExceedTheConcurrencyLimit() throws Exception {
    leasedIncidents(THREADS);
    List<Admission> got = concurrently(t -> store.admit("main", "i" + t, 1, 1, limits(3, 100), T0));
    assertThat(got).filteredOn(Admission::admitted).hasSize(3);
    assertThat(got).filteredOn(a -> !a.admitted()).allSatisfy(a -> assertThat(a.decision())
        .isInstanceOfSatisfying(ClusterGuardPolicy.Decision.Defer.class, d -> {
          assertThat(d.reason()).isEqualTo(ClusterGuardPolicy.Reason.CONCURRENCY);
          assertThat(d.until()).isEqualTo(T0.plusSeconds(2));
        }));
  }

  @Test
  void concurrentAdmissionsNeverExceedTheActionLimit() throws Exception {
    leasedIncidents(THREADS);
    List<Admission> got = concurrently(t -> store.admit("main", "i" + t, 1, 2, limits(100, 7), T0));
    assertThat(got).filteredOn(Admission::admitted).hasSize(3);
  }

  @Test
  void usedActionsCountUntilTheirWindowPassesToTheMillisecond() {
    leasedIncidents(3);
    Admission a = store.admit("main", "i0", 1, 2, limits(10, 2), T0);
    assertThat(a.admitted()).isTrue();
    store.recordAction(a.reservationId(), T0.plusMillis(100));
    store.recordAction(a.reservationId(), T0.plusMillis(300));
    store.releaseReservation(a.reservationId(), T0.plusMillis(400));

    Admission early = store.admit("main", "i1", 1, 1, limits(10, 2), T0.plusMillis(500));
    assertThat(early.decision()).isInstanceOfSatisfying(ClusterGuardPolicy.Decision.Defer.class, d -> {
      assertThat(d.reason()).isEqualTo(ClusterGuardPolicy.Reason.ACTIONS);
      assertThat(d.until()).as("the last action + the window").isEqualTo(T0.plusMillis(10_300));
    });
    assertThat(store.admit("main", "i1", 1, 1, limits(10, 2), T0.plusMillis(10_299)).admitted()).isFalse();
    assertThat(store.admit("main", "i1", 1, 1, limits(10, 2), T0.plusMillis(10_300)).admitted()).isTrue();
  }

  @Test
  void aSlotOfAnIncidentNoLongerLeasedIsFree() {
    leasedIncidents(2);
    assertThat(store.admit("main", "i0", 1, 1, limits(1, 10), T0).admitted()).isTrue();
    assertThat(store.admit("main", "i1", 1, 1, limits(1, 10), T0.plusSeconds(1)).admitted()).isFalse();
    // i0's replica died: its lease expires at T0 + LEASE
    assertThat(store.admit("main", "i1", 1, 1, limits(1, 10), T0.plus(LEASE)).admitted()).isTrue();
  }

  @Test
  void aStormHoldsEveryAdmissionOfItsCluster() {
    fail("s1", "a", T0);
    fail("s2", "b", T0);
    Storm storm = fail("s3", "c", T0).orElseThrow();
    assertThat(store.admit("main", "s1", 1, 1, limits(10, 10), T0.plusSeconds(1)).decision())
        .isEqualTo(new ClusterGuardPolicy.Decision.StormHold(storm.quietUntil(), store.currentStorm("main").orElseThrow()));
    assertThat(store.admit("other", "s1", 1, 1, limits(10, 10), T0.plusSeconds(1)).decision())
        .as("another cluster").isInstanceOf(ClusterGuardPolicy.Decision.Act.class);
  }

  @Test
  void deferEscalationMovesOnlyAPendingOne() {
    open("inc-1", "orders-sink", null, escalation("inc-1", 0, T0), escalation("inc-1", 1, T0));
    assertThat(store.claimDueEscalations("r", T0, LEASE, 10)).hasSize(2);
    store.markEscalationFired("inc-1", 1, T0);
    store.deferEscalation("inc-1", 0, T0.plusSeconds(90));
    store.deferEscalation("inc-1", 1, T0.plusSeconds(90));
    assertThat(store.escalations("inc-1")).extracting(Escalation::level, Escalation::dueAt)
        .containsExactly(tuple(0, T0.plusSeconds(90)), tuple(1, T0));
    assertThat(store.claimDueEscalations("r2", T0.plusSeconds(90), LEASE, 10)).as("the claim was dropped")
        .extracting(Escalation::level).containsExactly(0);
  }

  @Test
  void requestRetryMakesAnOpenUnleasedIncidentDueNowWithWhoAndWhyInItsTimeline() {
    open("inc-1", "orders-sink", null);
    assertThat(store.requestRetry("inc-1", "alice", "password changed back", T0.plusSeconds(5)).status())
        .isEqualTo(io.runbookd.model.RetryOutcome.Status.ACCEPTED);
    Incident in = store.get("inc-1").orElseThrow();
    assertThat(in.nextAction()).isEqualTo(Incident.RETRY);
    assertThat(in.nextActionAt()).isEqualTo(T0.plusSeconds(5));
    assertThat(store.events("inc-1")).last().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("retry_requested");
      assertThat(e.message()).startsWith("retry requested by alice: password changed back");
    });
    assertThat(store.requestRetry("inc-x", "alice", null, T0).status()).isEqualTo(io.runbookd.model.RetryOutcome.Status.NO_INCIDENT);
    assertThat(store.claimDueIncidents("r", T0.plusSeconds(5), LEASE, 10)).hasSize(1);
    assertThat(store.requestRetry("inc-1", "bob", null, T0.plusSeconds(6)).status()).as("leased: nothing written")
        .isEqualTo(io.runbookd.model.RetryOutcome.Status.BUSY);
  }

  @Test
  void advanceEscalationBringsAPendingLevelForwardWithItsNoteAndLeavesTheOthers() {
    open("inc-1", "orders-sink", null, escalation("inc-1", 0, T0.plusSeconds(900)), escalation("inc-1", 1, T0.plusSeconds(3600)));
    assertThat(store.advanceEscalation("inc-1", 0, T0.plusSeconds(180), "attempt budget spent (1 of 1)")).isTrue();
    assertThat(store.escalations("inc-1")).extracting(Escalation::level, Escalation::dueAt, Escalation::message)
        .containsExactly(tuple(0, T0.plusSeconds(180), "attempt budget spent (1 of 1)"),
            tuple(1, T0.plusSeconds(3600), "still failing"));
    assertThat(store.claimDueEscalations("r", T0.plusSeconds(180), LEASE, 10)).extracting(Escalation::level).containsExactly(0);
    store.markEscalationFired("inc-1", 0, T0.plusSeconds(181));
    assertThat(store.advanceEscalation("inc-1", 0, T0.plusSeconds(200), "again")).as("a sent level stays sent").isFalse();
  }

  @Test
  void pruneAlsoDeletesTheApprovalsAndReservationsOfOldIncidentsAndOldStorms() {
    fail("s1", "a", T0);
    fail("s2", "b", T0);
    fail("s3", "c", T0);
    assertThat(store.claimDueIncidents("r", T0, LEASE, 10)).hasSize(3);
    store.requestApproval(approvalRequest("s1", 1, Approval.BEFORE_STEPS, T0));
    store.admit("main", "s1", 1, 1, limits(10, 10), T0.plus(Duration.ofHours(1)));
    store.endStorms(T0.plus(Duration.ofHours(1)));
    for (String id : List.of("s1", "s2", "s3")) {
      Incident in = store.get(id).orElseThrow();
      store.updateIncident(in.released(T0.plus(LEASE)).closed("recovered", T0.plus(LEASE)), null);
    }

    assertThat(store.prune(T0.plus(Duration.ofDays(1)))).isEqualTo(3);
    assertThat(store.approvals("s1")).isEmpty();
    assertThat(store.currentStorm("main")).isEmpty();
    assertThat(store.claimStormSummaries("r", T0.plus(Duration.ofDays(2)), LEASE, 10)).as("the ended storm is gone").isEmpty();
  }

  // ---- concurrency: every row claimed exactly once ---------------------------------------------

  @Test
  void concurrentClaimersGetEachDueIncidentExactlyOnce() throws Exception {
    int incidents = 60;
    for (int i = 0; i < incidents; i++) {
      open("inc-" + i, "c" + i, T0.minusSeconds(i % 7));
    }

    List<List<String>> perThread = concurrently(t -> drain(() ->
        store.claimDueIncidents("owner-" + t, T0, LEASE, 1 + t % 4).stream().map(Incident::id).toList()));

    assertClaimedExactlyOnce(perThread, incidents);
    assertThat(store.claimDueIncidents("late", T0, LEASE, 100)).isEmpty();
  }

  @Test
  void concurrentClaimersGetEachDueEscalationExactlyOnce() throws Exception {
    int incidents = 20;
    for (int i = 0; i < incidents; i++) {
      open("inc-" + i, "c" + i, null, escalation("inc-" + i, 0, T0.minusSeconds(i)), escalation("inc-" + i, 1, T0),
          escalation("inc-" + i, Escalation.GAVE_UP, T0.minusSeconds(1)));
    }

    List<List<String>> perThread = concurrently(t -> drain(() ->
        store.claimDueEscalations("owner-" + t, T0, LEASE, 1 + t % 4).stream()
            .map(e -> e.incidentId() + "/" + e.level()).toList()));

    assertClaimedExactlyOnce(perThread, incidents * 3);
    assertThat(store.claimDueEscalations("late", T0, LEASE, 100)).isEmpty();
  }

  @Test
  void concurrentClaimersGetEachAlertExactlyOnce() throws Exception {
    List<AlertEvent> batch = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      batch.add(alert("fp-" + i, "firing", T0));
    }
    store.recordAlerts(batch);

    List<List<String>> perThread = concurrently(t -> drain(() ->
        store.claimAlerts("owner-" + t, T0, LEASE, 1 + t % 4).stream().map(AlertEvent::fingerprint).toList()));

    assertClaimedExactlyOnce(perThread, 100);
  }

  /** Claims until a claim comes back empty; returns everything claimed. */
  static List<String> drain(Callable<List<String>> claim) throws Exception {
    List<String> all = new ArrayList<>();
    for (List<String> got = claim.call(); !got.isEmpty(); got = claim.call()) {
      all.addAll(got);
    }
    return all;
  }

  static void assertClaimedExactlyOnce(List<List<String>> perThread, int expected) {
    List<String> all = perThread.stream().flatMap(List::stream).toList();
    Set<String> distinct = new HashSet<>(all);
    assertThat(all).as("claims over all threads").hasSize(distinct.size());
    assertThat(distinct).hasSize(expected);
  }

  // ---- units of work --------------------------------------------------------------------------

  static final Rule.RetryPolicy RETRY =
      new Rule.RetryPolicy(3, List.of(Duration.ofSeconds(10), Duration.ofMinutes(2)), Duration.ofMinutes(30));
  static final ClusterLimits.StormSettings NO_STORM = new ClusterLimits.StormSettings(0, Duration.ofSeconds(60), null);
  static final String RULE = "connect-db-connection-refused";

  static Rule rule() {
    return new Rule(RULE, "", new Rule.Source("rules.yaml", 1),
        List.of(LabelMatcher.parse("alertname=\"KafkaConnectTaskFailure\"")), Optional.empty(),
        new Rule.Target(Template.compile("main"), Template.compile("orders-sink")), RETRY,
        new Rule.Verify(Duration.ofMinutes(2), Duration.ofSeconds(30)), List.of(),
        List.of(new Rule.EscalationLevel(Duration.ofMinutes(10), "oncall", Template.compile("still failing")),
            new Rule.EscalationLevel(Duration.ofMinutes(30), "manager", Template.compile("still failing"))),
        false);
  }

  /** Records one alert and returns its event id. */
  long recorded(String fingerprint, String status) {
    return store.recordAlerts(List.of(alert(fingerprint, status, T0))).get(0).id();
  }

  UnitsOfWork.Opening opening(long eventId, String fingerprint, String incidentId, String connector,
      ClusterLimits.StormSettings storm, Instant at) {
    return new UnitsOfWork.Opening(eventId, fingerprint, "KafkaConnectTaskFailure", incidentId,
        new ConnectorTarget("main", connector), rule(), "java.net.ConnectException: Connection refused", "trace...",
        "opened by KafkaConnectTaskFailure", storm, at);
  }

  /** Transactions committed by the store so far. */
  long committed() {
    return ((JdbcStore) store).jdbc().committedTransactions();
  }

  @Test
  void openFromAlertWritesTheWholeOpeningInOneTransaction() {
    long event = recorded("fp-1", "firing");
    store.saveBudget(new Budget("main", "orders-sink", RULE, 2, T0.minusSeconds(5), null));
    long before = committed();

    UnitsOfWork.OpenOutcome out = store.openFromAlert(opening(event, "fp-1", "inc-1", "orders-sink", NO_STORM, T0));

    assertThat(committed() - before).as("transactions committed by one opening").isEqualTo(1);
    assertThat(out.opened()).isTrue();
    assertThat(out.storm()).isEmpty();
    assertThat(out.stormFailure()).isNull();
    assertThat(out.budget().attempts()).isEqualTo(2);
    Incident in = store.get("inc-1").orElseThrow();
    assertThat(out.incident()).isEqualTo(in);
    assertThat(in.state()).isEqualTo(IncidentState.OPEN);
    assertThat(in.rule()).isEqualTo(RULE);
    assertThat(in.cause()).isEqualTo("java.net.ConnectException: Connection refused");
    assertThat(in.nextAction()).isEqualTo(Incident.REMEDIATE);
    assertThat(in.nextActionAt()).isEqualTo(RemediationPolicy.nextAttemptAt(RETRY, out.budget(), T0));
    assertThat(store.escalations("inc-1")).isEqualTo(RemediationPolicy.ladder(rule(), "inc-1", T0));
    assertThat(store.events("inc-1")).extracting(IncidentEvent::kind, IncidentEvent::message).containsExactly(
        tuple("opened", "opened by KafkaConnectTaskFailure; 2 earlier attempt(s) count toward the budget of 3"));
    assertThat(store.findOpenByFingerprint("fp-1")).contains(in);
    assertThat(store.lastAlert("inc-1")).map(AlertEvent::id).contains(event);
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).as("the event is processed").isEmpty();
  }

  @Test
  void openFromAlertStoresABudgetThatThePolicyReset() {
    long event = recorded("fp-1", "firing");
    // recovered long enough ago: the policy resets the count to 0
    store.saveBudget(new Budget("main", "orders-sink", RULE, 2, T0.minusSeconds(7200), T0.minusSeconds(3600)));

    UnitsOfWork.OpenOutcome out = store.openFromAlert(opening(event, "fp-1", "inc-1", "orders-sink", NO_STORM, T0));

    assertThat(out.budget().attempts()).isZero();
    assertThat(store.budget("main", "orders-sink", RULE)).isEqualTo(out.budget());
    assertThat(store.events("inc-1")).extracting(IncidentEvent::message)
        .containsExactly("opened by KafkaConnectTaskFailure");
  }

  @Test
  void openFromAlertJoinsTheIncidentAlreadyOpenInOneTransaction() {
    Incident first = open("inc-1", "orders-sink", T0);
    long event = recorded("fp-2", "firing");
    long before = committed();

    UnitsOfWork.OpenOutcome out =
        store.openFromAlert(opening(event, "fp-2", "inc-2", "orders-sink", STORM, T0.plusSeconds(1)));

    assertThat(committed() - before).isEqualTo(1);
    assertThat(out.opened()).isFalse();
    assertThat(out.incident()).isEqualTo(first);
    assertThat(out.budget()).isNull();
    assertThat(store.get("inc-2")).isEmpty();
    assertThat(store.findOpenByFingerprint("fp-2")).map(Incident::id).contains("inc-1");
    assertThat(store.lastAlert("inc-1")).map(AlertEvent::id).contains(event);
    assertThat(store.events("inc-1")).extracting(IncidentEvent::kind).containsExactly("opened");
    assertThat(store.currentStorm("main")).isEmpty();
  }

  @Test
  void concurrentOpeningsOfOneConnectorOpenOneIncidentAndTheOthersJoinIt() throws Exception {
    List<AlertEvent> events = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      events.add(alert("fp-" + i, "firing", T0));
    }
    List<AlertEvent> stored = store.recordAlerts(events);
    Store replica = openStore(THREADS + 2);
    try {
      List<UnitsOfWork.OpenOutcome> outs = concurrently(i -> (i % 2 == 0 ? store : replica).openFromAlert(
          opening(stored.get(i).id(), "fp-" + i, "inc-" + i, "orders-sink", NO_STORM, T0)));

      assertThat(outs).filteredOn(UnitsOfWork.OpenOutcome::opened).hasSize(1);
      String id = outs.stream().filter(UnitsOfWork.OpenOutcome::opened).findFirst().orElseThrow().incident().id();
      assertThat(outs).allSatisfy(o -> assertThat(o.incident().id()).isEqualTo(id));
      assertThat(store.list(IncidentQuery.all())).hasSize(1);
      for (int i = 0; i < THREADS; i++) {
        assertThat(store.findOpenByFingerprint("fp-" + i)).map(Incident::id).contains(id);
      }
      assertThat(store.claimAlerts("a", T0, LEASE, 100)).isEmpty();
    } finally {
      replica.close();
    }
  }

  @Test
  void openFromAlertNotesTheClusterFailureAndReportsTheStormItStarts() {
    List<UnitsOfWork.OpenOutcome> outs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      long event = recorded("fp-" + i, "firing");
      outs.add(store.openFromAlert(opening(event, "fp-" + i, "inc-" + i, "c" + i, STORM, T0.plusSeconds(i))));
    }

    assertThat(outs.get(0).storm()).isEmpty();
    assertThat(outs.get(1).storm()).isEmpty();
    Storm storm = outs.get(2).storm().orElseThrow();
    assertThat(storm.connectors()).isEqualTo(3);
    assertThat(storm.sample()).containsExactly("c1", "c2", "c3");
    assertThat(store.currentStorm("main")).contains(storm);
  }

  @Test
  void anOpeningThatFailsWritesNothing() {
    long unknownEvent = recorded("fp-1", "firing") + 1000;

    assertThatThrownBy(() -> store.openFromAlert(opening(unknownEvent, "fp-1", "inc-1", "orders-sink", STORM, T0)))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("openFromAlert failed")
        .hasMessageContaining("no alert event " + unknownEvent);
    assertThat(store.get("inc-1")).isEmpty();
    assertThat(store.escalations("inc-1")).isEmpty();
    assertThat(store.findOpenByFingerprint("fp-1")).isEmpty();
    assertThat(store.currentStorm("main")).isEmpty();
  }

  @Test
  void joinFromAlertLinksAddsTheTimelineEventOnceAndMarksInOneTransaction() {
    open("inc-1", "orders-sink", T0);
    long first = recorded("fp-2", "firing");
    long again = recorded("fp-2", "firing");
    List<ConnectorTarget> targets = List.of(new ConnectorTarget("main", "other"), new ConnectorTarget("main", "orders-sink"));
    long before = committed();

    Optional<Incident> joined = store.joinFromAlert(
        new UnitsOfWork.Joining(first, "fp-2", "KafkaConnectTaskFailure", targets, "joined the open incident", T0));

    assertThat(committed() - before).isEqualTo(1);
    assertThat(joined).map(Incident::id).contains("inc-1");
    assertThat(store.findOpenByFingerprint("fp-2")).map(Incident::id).contains("inc-1");
    assertThat(store.lastAlert("inc-1")).map(AlertEvent::id).contains(first);
    store.joinFromAlert(new UnitsOfWork.Joining(again, "fp-2", "KafkaConnectTaskFailure", targets,
        "joined the open incident", T0.plusSeconds(1)));
    assertThat(store.events("inc-1")).extracting(IncidentEvent::kind).containsExactly("opened", "alert_joined");
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).isEmpty();
  }

  @Test
  void joinFromAlertWithoutAnOpenIncidentWritesNothing() {
    long event = recorded("fp-1", "firing");

    assertThat(store.joinFromAlert(new UnitsOfWork.Joining(event, "fp-1", "KafkaConnectTaskFailure",
        List.of(new ConnectorTarget("main", "orders-sink")), "joined", T0))).isEmpty();
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).extracting(AlertEvent::id).containsExactly(event);
  }

  @Test
  void resolveFromAlertNotesTheResolveAndMarksInOneTransaction() {
    long firing = recorded("fp-1", "firing");
    store.openFromAlert(opening(firing, "fp-1", "inc-1", "orders-sink", NO_STORM, T0));
    long resolved = recorded("fp-1", "resolved");
    long before = committed();

    Optional<Incident> inc = store.resolveFromAlert(new UnitsOfWork.Resolving(resolved, "fp-1",
        "KafkaConnectTaskFailure", "resolved; verifying", T0.plusSeconds(5), T0.plusSeconds(6)));

    assertThat(committed() - before).isEqualTo(1);
    assertThat(inc).map(Incident::id).contains("inc-1");
    Incident after = store.get("inc-1").orElseThrow();
    assertThat(after.alertResolvedAt()).isEqualTo(T0.plusSeconds(5));
    assertThat(after.nextAction()).isEqualTo(Incident.VERIFY);
    assertThat(after.nextActionAt()).as("before the first attempt, due at +10s").isEqualTo(T0.plusSeconds(6));
    assertThat(store.events("inc-1")).extracting(IncidentEvent::kind).containsExactly("opened", "alert_resolved");
    assertThat(store.lastAlert("inc-1")).map(AlertEvent::id).contains(resolved);
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).isEmpty();
  }

  @Test
  void resolveFromAlertOfNoOpenIncidentMarksTheEventIgnored() {
    long resolved = recorded("fp-1", "resolved");
    long before = committed();

    assertThat(store.resolveFromAlert(new UnitsOfWork.Resolving(resolved, "fp-1", "KafkaConnectTaskFailure",
        "resolved", T0, null))).isEmpty();

    assertThat(committed() - before).isEqualTo(1);
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).isEmpty();
  }

  @Test
  void closeIncidentWritesTheCloseAndEverythingItEndsInOneTransaction() {
    Incident in = open("inc-1", "orders-sink", T0, escalation("inc-1", 0, T0.plusSeconds(600)),
        escalation("inc-1", 1, T0.plusSeconds(1200)));
    store.markEscalationFired("inc-1", 0, T0.plusSeconds(1));
    store.requestApproval(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0));
    store.saveBudget(new Budget("main", "orders-sink", in.rule(), 2, T0, null));
    Incident leased = store.claimDueIncidents("a", T0, LEASE, 1).get(0);
    Instant at = T0.plusSeconds(10);
    long before = committed();

    UnitsOfWork.Closure closure = store.closeIncident(new UnitsOfWork.Closing(leased.closed("recovered", at), "a",
        "verified: RUNNING and stable for 30s", RemediationPolicy::afterRecovery));

    assertThat(committed() - before).isEqualTo(1);
    assertThat(closure).isEqualTo(new UnitsOfWork.Closure(true, true));
    Incident stored = store.get("inc-1").orElseThrow();
    assertThat(stored.state()).isEqualTo(IncidentState.CLOSED);
    assertThat(stored.outcome()).isEqualTo("recovered");
    assertThat(store.approvals("inc-1")).singleElement().satisfies(a -> {
      assertThat(a.decision()).isEqualTo(Approval.Decision.CANCELLED);
      assertThat(a.decidedVia()).isEqualTo("runbookd");
      assertThat(a.decidedBy()).isEqualTo("runbookd");
      assertThat(a.decidedAt()).isEqualTo(at);
      assertThat(a.comment()).isEqualTo("the incident closed: verified: RUNNING and stable for 30s");
    });
    assertThat(store.escalations("inc-1")).extracting(Escalation::level, Escalation::firedAt, Escalation::cancelledAt)
        .containsExactly(tuple(0, T0.plusSeconds(1), null), tuple(1, null, at));
    assertThat(store.budget("main", "orders-sink", in.rule()))
        .isEqualTo(new Budget("main", "orders-sink", in.rule(), 2, T0, at));
    assertThat(store.events("inc-1")).extracting(IncidentEvent::kind, IncidentEvent::message)
        .containsExactly(tuple("opened", "opened by KafkaConnectTaskFailure"),
            tuple("closed", "verified: RUNNING and stable for 30s"));
  }

  @Test
  void closeIncidentByAnOwnerWhoLostTheLeaseWritesNothing() {
    Incident in = open("inc-1", "orders-sink", T0, escalation("inc-1", 0, T0.plusSeconds(600)));
    store.requestApproval(approvalRequest("inc-1", 1, Approval.BEFORE_STEPS, T0));
    Incident byA = store.claimDueIncidents("a", T0, LEASE, 1).get(0);
    store.claimDueIncidents("b", T0.plus(LEASE), LEASE, 1);

    UnitsOfWork.Closure closure = store.closeIncident(new UnitsOfWork.Closing(
        byA.closed("recovered", T0.plus(LEASE).plusSeconds(1)), "a", "verified", RemediationPolicy::afterRecovery));

    assertThat(closure).isEqualTo(new UnitsOfWork.Closure(false, false));
    assertThat(store.get("inc-1").orElseThrow().state()).isEqualTo(IncidentState.OPEN);
    assertThat(store.approvals("inc-1")).singleElement().satisfies(a -> assertThat(a.pending()).isTrue());
    assertThat(store.escalations("inc-1")).singleElement().satisfies(e -> assertThat(e.cancelledAt()).isNull());
    assertThat(store.budget("main", "orders-sink", in.rule())).isEqualTo(Budget.empty("main", "orders-sink", in.rule()));
    assertThat(store.events("inc-1")).extracting(IncidentEvent::kind).containsExactly("opened");
  }

  @Test
  void closeIncidentWithoutApprovalReportsNoneCancelled() {
    Incident in = open("inc-1", "orders-sink", T0);
    Incident leased = store.claimDueIncidents("a", T0, LEASE, 1).get(0);

    assertThat(store.closeIncident(new UnitsOfWork.Closing(leased.closed("gave_up", T0.plusSeconds(1)), "a",
        "gave up", (b, at) -> b))).isEqualTo(new UnitsOfWork.Closure(true, false));
    assertThat(store.budget("main", "orders-sink", in.rule())).isEqualTo(Budget.empty("main", "orders-sink", in.rule()));
  }

  /** Runs {@code task(threadIndex)} on {@link #THREADS} threads released together; returns results in index order. */
  static <T> List<T> concurrently(ThrowingFunction<Integer, T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CyclicBarrier start = new CyclicBarrier(THREADS);
      List<Future<T>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int index = t;
        futures.add(pool.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          return task.apply(index);
        }));
      }
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return Collections.unmodifiableList(results);
    } finally {
      pool.shutdownNow();
    }
  }

  @FunctionalInterface
  interface ThrowingFunction<A, R> {
    R apply(A a) throws Exception;
  }

  // ---- delivery claims (redelivery marker) ----------------------------------------------------

  @Test
  void anEscalationClaimedAgainAfterAnExpiredClaimMayHaveBeenSent() {
    open("inc-1", "c1", T0, escalation("inc-1", 0, T0));
    assertThat(store.claimEscalationDeliveries("a", T0, LEASE, 10)).singleElement()
        .satisfies(d -> assertThat(d.mayHaveBeenSent()).as("first delivery").isFalse());
    // "a" died between the receiver's answer and the mark: the next claimer redelivers
    assertThat(store.claimEscalationDeliveries("b", T0.plus(LEASE), LEASE, 10)).singleElement()
        .satisfies(d -> {
          assertThat(d.item().level()).isZero();
          assertThat(d.earlierClaims()).isEqualTo(1);
          assertThat(d.mayHaveBeenSent()).isTrue();
        });
    store.markEscalationFired("inc-1", 0, T0.plus(LEASE));
    assertThat(store.claimEscalationDeliveries("c", T0.plus(LEASE).plus(LEASE), LEASE, 10)).isEmpty();
  }

  @Test
  void claimDueEscalationsAlsoCountsAsADeliveryAttempt() {
    open("inc-1", "c1", T0, escalation("inc-1", 0, T0));
    assertThat(store.claimDueEscalations("a", T0, LEASE, 10)).hasSize(1);
    assertThat(store.claimEscalationDeliveries("b", T0.plus(LEASE), LEASE, 10)).singleElement()
        .satisfies(d -> assertThat(d.mayHaveBeenSent()).isTrue());
  }

  @Test
  void aHeldEscalationIsNotARedelivery() {
    open("inc-1", "c1", T0, escalation("inc-1", 0, T0));
    assertThat(store.claimEscalationDeliveries("a", T0, LEASE, 10)).hasSize(1);
    store.deferEscalation("inc-1", 0, T0.plusSeconds(90));
    assertThat(store.claimEscalationDeliveries("a", T0.plusSeconds(90), LEASE, 10)).singleElement()
        .satisfies(d -> assertThat(d.mayHaveBeenSent()).as("the claim that held it sent nothing").isFalse());
  }

  @Test
  void aFailedEscalationIsClaimableAgainAtItsRetryTimeAsARedelivery() {
    open("inc-1", "c1", T0, escalation("inc-1", 0, T0));
    store.claimEscalationDeliveries("a", T0, LEASE, 10);
    store.retryEscalationAt("inc-1", 0, T0.plusSeconds(5));

    assertThat(store.nextEscalationDue()).contains(T0.plusSeconds(5));
    assertThat(store.claimEscalationDeliveries("a", T0.plusSeconds(5).minusMillis(1), LEASE, 10)).isEmpty();
    assertThat(store.claimEscalationDeliveries("a", T0.plusSeconds(5), LEASE, 10)).singleElement()
        .satisfies(d -> {
          assertThat(d.item().dueAt()).as("its due time is kept").isEqualTo(T0);
          assertThat(d.earlierClaims()).isEqualTo(1);
        });
    store.markEscalationFired("inc-1", 0, T0.plusSeconds(6));
    store.retryEscalationAt("inc-1", 0, T0.plusSeconds(7));
    assertThat(store.claimEscalationDeliveries("a", T0.plusSeconds(3600), LEASE, 10)).as("fired stays fired").isEmpty();
  }

  @Test
  void aStormSummaryClaimedAgainMayHaveBeenSentAndAFailedOneIsRetriedAtItsTime() {
    fail("i1", "a", T0);
    fail("i2", "b", T0);
    Storm storm = fail("i3", "c", T0).orElseThrow();
    assertThat(store.claimStormSummaryDeliveries("r1", T0, LEASE, 10)).singleElement()
        .satisfies(d -> {
          assertThat(d.item().id()).isEqualTo(storm.id());
          assertThat(d.mayHaveBeenSent()).isFalse();
        });
    store.retryStormSummaryAt(storm.id(), T0.plusSeconds(5));
    assertThat(store.claimStormSummaryDeliveries("r2", T0.plusSeconds(5).minusMillis(1), LEASE, 10)).isEmpty();
    assertThat(store.claimStormSummaryDeliveries("r2", T0.plusSeconds(5), LEASE, 10)).singleElement()
        .satisfies(d -> assertThat(d.earlierClaims()).isEqualTo(1));
    store.markStormSummarySent(storm.id(), T0.plusSeconds(6));
    store.retryStormSummaryAt(storm.id(), T0.plusSeconds(7));
    assertThat(store.claimStormSummaryDeliveries("r3", T0.plusSeconds(3600), LEASE, 10)).isEmpty();
  }

  // ---- notification follow-ups (V6) -----------------------------------------------------------------

  static io.runbookd.model.NotificationThread thread(String incidentId, String notifier, String type, String key,
      String ts) {
    return new io.runbookd.model.NotificationThread(incidentId, notifier, type, key, ts == null ? null : "C1", ts, T0,
        null);
  }

  private List<String> claimFollowUps(Instant now) {
    return store.claimFollowUps("a", now, LEASE, 10).stream()
        .map(c -> c.item().incidentId() + " " + c.item().notifier() + " " + c.item().dedupKey()
            + (c.mayHaveBeenSent() ? " again" : ""))
        .toList();
  }

  @Test
  void aClosedIncidentsMessagesAreFollowedUpOnceAndAPageOnlyWhenRecovered() {
    open("inc-1", "orders-sink", T0);
    open("inc-2", "users-source", T0);
    store.recordNotificationThread(thread("inc-1", "oncall", "pagerduty", "inc-1/escalation/0", null));
    store.recordNotificationThread(thread("inc-1", "team", "slack", "", "1503435956.000247"));
    store.recordNotificationThread(thread("inc-1", "team", "slack", "", "1503435999.000001"));
    store.recordNotificationThread(thread("inc-2", "oncall", "pagerduty", "inc-2/step", null));
    store.recordNotificationThread(thread("inc-2", "team", "slack", "", null));

    assertThat(claimFollowUps(T0.plusSeconds(1))).as("nothing is due while the incidents are open").isEmpty();
    assertThat(store.notificationThreads("inc-1")).extracting(io.runbookd.model.NotificationThread::threadTs)
        .as("the first message of the incident is the thread").containsExactly(null, "1503435956.000247");

    store.updateIncident(store.get("inc-1").orElseThrow().closed("recovered", T0.plusSeconds(2)), null);
    store.updateIncident(store.get("inc-2").orElseThrow().closed("connector_deleted", T0.plusSeconds(2)), null);
    assertThat(claimFollowUps(T0.plusSeconds(3))).containsExactly("inc-1 oncall inc-1/escalation/0",
        "inc-1 team ", "inc-2 team ");
    assertThat(claimFollowUps(T0.plusSeconds(4))).as("claimed: leased").isEmpty();

    store.markFollowUpSent("inc-1", "oncall", "inc-1/escalation/0", "close", T0.plusSeconds(5));
    store.retryFollowUpAt("inc-1", "team", "", T0.plusSeconds(10));
    assertThat(claimFollowUps(T0.plusSeconds(6))).as("a lease ran out, a retry is not due yet").isEmpty();
    assertThat(claimFollowUps(T0.plusSeconds(40))).containsExactly("inc-1 team  again", "inc-2 team  again");
  }

  @Test
  void aHumanRejectionAcknowledgesThePagesOfTheOpenIncidentOnceThenTheCloseResolvesThem() {
    open("inc-1", "orders-sink", T0);
    store.recordNotificationThread(thread("inc-1", "approver", "pagerduty", "inc-1/approval/1/0", null));
    store.recordNotificationThread(thread("inc-1", "team", "slack", "", null));
    store.requestApproval(io.runbookd.model.Approval.request("inc-1", 1, 0, T0, Duration.ofMinutes(10), false,
        "approver", "{\"steps\":[]}", "destructive"));
    store.decideApproval("inc-1", io.runbookd.model.Approval.Decision.REJECTED, "ttl", "runbookd", null,
        T0.plusSeconds(700));
    assertThat(claimFollowUps(T0.plusSeconds(701))).as("a TTL rejection is no human's").isEmpty();

    open("inc-2", "users-source", T0);
    store.recordNotificationThread(thread("inc-2", "approver", "pagerduty", "inc-2/approval/1/0", null));
    store.requestApproval(io.runbookd.model.Approval.request("inc-2", 1, 0, T0, Duration.ofMinutes(10), false,
        "approver", "{\"steps\":[]}", "destructive"));
    store.decideApproval("inc-2", io.runbookd.model.Approval.Decision.REJECTED, "human", "alice", "DBA on it",
        T0.plusSeconds(1));
    assertThat(claimFollowUps(T0.plusSeconds(2))).containsExactly("inc-2 approver inc-2/approval/1/0");
    store.markFollowUpSent("inc-2", "approver", "inc-2/approval/1/0", "acknowledge", T0.plusSeconds(3));
    assertThat(claimFollowUps(T0.plusSeconds(60))).as("acknowledged once").isEmpty();

    store.updateIncident(store.get("inc-2").orElseThrow().closed("recovered", T0.plusSeconds(70)), null);
    assertThat(claimFollowUps(T0.plusSeconds(71))).as("the first claim of the resolve")
        .containsExactly("inc-2 approver inc-2/approval/1/0");
  }

  // ---- dlq_replay progress --------------------------------------------------------------------

  @Test
  void dlqReplayProgressIsStoredPerPartitionSurvivesARestartAndNeverGoesBack() {
    open("inc-dlq", "orders-sink", null);
    long run = store.startStep(step("inc-dlq", 1, 0, T0)).orElseThrow().id();
    io.runbookd.model.TopicPartition p0 = new io.runbookd.model.TopicPartition("orders-sink-dlq", 0);
    io.runbookd.model.TopicPartition p1 = new io.runbookd.model.TopicPartition("orders-sink-dlq", 1);
    store.saveDlqProgress("inc-dlq", new io.runbookd.model.DlqProgress(run, p0, 0, 100, 90, 10, T0));
    store.saveDlqProgress("inc-dlq", new io.runbookd.model.DlqProgress(run, p1, 5, 5, 0, 0, T0));
    store.saveDlqProgress("inc-dlq", new io.runbookd.model.DlqProgress(run, p0, 0, 200, 180, 20, T0.plusSeconds(1)));

    store.close();
    store = openStore(2);
    assertThat(store.dlqProgress(run)).containsExactly(
        new io.runbookd.model.DlqProgress(run, p0, 0, 200, 180, 20, T0.plusSeconds(1)),
        new io.runbookd.model.DlqProgress(run, p1, 5, 5, 0, 0, T0));
    assertThat(store.dlqProgress(run + 1)).as("another step run").isEmpty();

    assertThatThrownBy(() -> store.saveDlqProgress("inc-dlq",
        new io.runbookd.model.DlqProgress(run, p0, 0, 150, 140, 10, T0.plusSeconds(2))))
        .isInstanceOf(StoreException.class).hasMessageContaining("never goes back");
    assertThat(store.dlqProgress(run).get(0).nextOffset()).isEqualTo(200);
    assertThatThrownBy(() -> store.saveDlqProgress("no-such-incident",
        new io.runbookd.model.DlqProgress(run + 1, p1, 5, 6, 1, 0, T0))).isInstanceOf(StoreException.class);
  }

  @Test
  void pruningAClosedIncidentDeletesItsDlqReplayProgress() {
    open("inc-dlq-old", "orders-sink", null);
    long run = store.startStep(step("inc-dlq-old", 1, 0, T0)).orElseThrow().id();
    store.saveDlqProgress("inc-dlq-old", new io.runbookd.model.DlqProgress(run,
        new io.runbookd.model.TopicPartition("orders-sink-dlq", 0), 0, 3, 3, 0, T0));
    store.updateIncident(store.get("inc-dlq-old").orElseThrow().closed("recovered", T0.plusSeconds(5)), null);

    assertThat(store.prune(T0.plusSeconds(60))).isEqualTo(1);
    assertThat(store.dlqProgress(run)).isEmpty();
  }

  // ---- silences (V13) ------------------------------------------------------------------------

  @Test
  void silencesAreDueToExpireOnceTheirIncidentClosesOrEscalatesUntilMarkedOrPastTheirEnd() {
    Incident remediating = open("inc-1", "orders-sink", T0);
    Incident escalating = open("inc-2", "billing-sink", T0);
    Incident closing = open("inc-3", "audit-sink", T0);
    Incident ended = open("inc-4", "late-sink", T0);
    store.recordSilence(new io.runbookd.model.SilenceRef("inc-1", "main", "s-1", T0, T0.plusSeconds(3600), null));
    store.recordSilence(new io.runbookd.model.SilenceRef("inc-2", "main", "s-2", T0, T0.plusSeconds(3600), null));
    store.recordSilence(new io.runbookd.model.SilenceRef("inc-3", "main", "s-3", T0, T0.plusSeconds(3600), null));
    store.recordSilence(new io.runbookd.model.SilenceRef("inc-3", "main", "s-3", T0, T0.plusSeconds(3600), null));
    store.recordSilence(new io.runbookd.model.SilenceRef("inc-4", "main", "s-4", T0, T0.plusSeconds(30), null));
    Instant now = T0.plusSeconds(60);
    assertThat(store.silencesToExpire(now, 10)).as("every incident still open and not escalated").isEmpty();

    store.updateIncident(escalating.withState(IncidentState.ESCALATED, now), null);
    store.updateIncident(closing.closed("recovered", now), null);
    store.updateIncident(ended.closed("recovered", now), null);
    assertThat(store.silencesToExpire(now, 10)).extracting(io.runbookd.model.SilenceRef::silenceId)
        .as("s-4 ended by itself at T0+30s").containsExactlyInAnyOrder("s-2", "s-3");

    store.silenceExpired("inc-3", "main", "s-3", now);
    assertThat(store.silencesToExpire(now, 10)).extracting(io.runbookd.model.SilenceRef::silenceId).containsExactly("s-2");
    assertThat(store.silences("inc-3")).singleElement().satisfies(s -> assertThat(s.expiredAt()).isEqualTo(now));
    assertThat(store.silences("inc-1")).singleElement().satisfies(s -> assertThat(s.expiredAt()).isNull());
    assertThat(remediating.state()).isNotEqualTo(IncidentState.ESCALATED);
  }
}
