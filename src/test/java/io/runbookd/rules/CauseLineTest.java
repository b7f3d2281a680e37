package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.rules.RuleEvaluator.Match;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The cause line on-call reads first, chosen from the genuine traces in {@code rules/traces/} as the shipped
 * rules see them: the rule each trace goes to, and the line that names the host and port, the user, the
 * column, the table or the error code.
 */
class CauseLineTest {
  private static RuleSet rules;

  @BeforeAll
  static void load() throws RuleLoadException {
    rules = new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("oncall", "owner")),
        Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)).load(List.of(Path.of("rules")));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      debezium-jdbc-sink-connection-refused | * | org.postgresql.util.PSQLException: Connection to 127.0.0.1:5433 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.
      debezium-pg-connection-refused        | * | org.postgresql.util.PSQLException: Connection to postgres:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.
      debezium-pg-password-failed           | connect-auth-failure | org.postgresql.util.PSQLException: FATAL: password authentication failed for user "debezium"
      debezium-pg-slot-missing              | debezium-pg-replication-slot-lost | org.postgresql.util.PSQLException: ERROR: replication slot "debezium" does not exist
      debezium-jdbc-sink-admin-shutdown     | * | org.postgresql.util.PSQLException: FATAL: terminating connection due to administrator command
      jdbc-sink-missing-column              | connect-sink-schema-mismatch | org.postgresql.util.PSQLException: ERROR: column "currency" of relation "orders" does not exist
      jdbc-sink-type-mismatch               | connect-sink-schema-mismatch | java.sql.BatchUpdateException: Batch entry 0 INSERT INTO "payments" ("id","amount") VALUES (7,'12.50') was aborted: ERROR: column "amount" is of type numeric but expression is of type character varying
      jdbc-sink-auto-evolve-disabled        | connect-sink-schema-mismatch | io.confluent.connect.jdbc.sink.TableAlterOrCreateException: Table "public"."orders" is missing fields ([SinkRecordField{schema=Schema{STRING}, name='currency', isPrimaryKey=false}]) and auto-evolution is disabled
      jdbc-source-connection-attempt-failed | connect-db-connection-refused | java.net.SocketTimeoutException: Connect timed out
      mysql-access-denied                   | connect-auth-failure | java.sql.SQLException: Access denied for user 'debezium'@'10.42.3.17' (using password: YES)
      mysql-connection-refused              | connect-db-connection-refused | io.debezium.DebeziumException: Unable to connect to the MySQL database at mysql.internal:3306 with user 'debezium': Communications link failure
      mongo-authentication-failed           | connect-auth-failure | com.mongodb.MongoCommandException: Command failed with error 18 (AuthenticationFailed): 'Authentication failed.' on server mongo-0.mongo:27017.
      mongo-change-stream-history-lost      | connect-mongodb-resume-token-lost | com.mongodb.MongoCommandException: Command failed with error 286 (ChangeStreamHistoryLost)
      mongo-change-stream-fatal-error       | connect-mongodb-resume-token-lost | com.mongodb.MongoCommandException: Command failed with error 280 (ChangeStreamFatalError): 'cannot resume stream; the resume token was not found.
      debezium-mongodb-resume-point-lost    | connect-mongodb-resume-token-lost | io.debezium.DebeziumException: The connector is trying to read change stream starting at MongoDbOffsetContext
      mongo-connection-timeout              | * | com.mongodb.MongoTimeoutException: Timed out after 30000 ms while waiting for a server that matches ReadPreferenceServerSelector{readPreference=primary}.
      kafka-sasl-authentication             | connect-auth-failure | org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512
      avro-subject-not-found                | connect-tolerance-exceeded | io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: Schema 4242 not found; error code: 40403
      avro-schema-registry-refused          | connect-schema-registry-unavailable | java.net.ConnectException: Connection refused
      json-converter-tolerance-exceeded     | connect-tolerance-exceeded | org.apache.kafka.common.errors.SerializationException: com.fasterxml.jackson.core.JsonParseException: Unrecognized token 'not'
      """)
  void eachShippedRuleStoresTheLineThatNamesTheCulprit(String trace, String rule, String cause) {
    var status = Traces.taskFailed("orders", Traces.read(trace));
    Optional<Match> m = RuleEvaluator.evaluate(rules, Map.of("alertname", "KafkaConnectTaskFailure",
        "connect_cluster", "prod", "connector", "orders"), Map.of(), t -> Optional.of(status)).match();
    assertThat(m).isPresent();
    if (!rule.equals("*")) { // "*": the rule is the connection rule's business (it changes elsewhere)
      assertThat(m.get().rule().name()).isEqualTo(rule);
    }
    System.out.printf("cause %-40s %-36s %s%n", trace, m.get().rule().name(), m.get().cause().orElse(""));
    assertThat(m.get().cause().orElseThrow()).startsWith(cause);
  }

  @Test
  void pgjdbcNamingTheHostAndPortWinsOverTheBareSocketRefusal() {
    String cause = CauseLine.of(Traces.read("debezium-jdbc-sink-connection-refused"));
    assertThat(cause).contains("127.0.0.1:5433").doesNotStartWith("java.net.ConnectException");
  }

  @Test
  void aChainThatNamesNothingFallsBackToTheLastCause() {
    String trace = """
        org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.
        \tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:636)
        Caused by: java.lang.IllegalStateException: something odd
        \tat com.example.Sink.put(Sink.java:10)
        Caused by: java.lang.NullPointerException: nothing here
        """;
    assertThat(CauseLine.of(trace)).isEqualTo("java.lang.NullPointerException: nothing here");
    assertThat(CauseLine.of("  \n")).isEmpty();
    assertThat(CauseLine.of("just one line\n")).isEqualTo("just one line");
  }

  @Test
  void stackFramesWithFileAndLineNumbersNameNoHost() {
    String trace = """
        org.apache.kafka.connect.errors.ConnectException: boom
        \tat io.debezium.connector.jdbc.JdbcChangeEventSink.execute(JdbcChangeEventSink.java:289)
        Caused by: java.lang.RuntimeException: at 12:34:56 it broke
        Caused by: java.lang.RuntimeException: the last one
        """;
    assertThat(CauseLine.of(trace)).isEqualTo("java.lang.RuntimeException: the last one");
  }
}
