package io.runbookd.engine;

import io.runbookd.connect.ConnectApi;
import io.runbookd.kafka.KafkaOps;
import io.runbookd.kafka.KafkaOpsException;
import io.runbookd.model.Incident;
import io.runbookd.model.KafkaWait;
import io.runbookd.policy.KafkaWaitPolicy;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * Reads the Kafka side of a {@code wait_for} with {@code lag} or {@code dlq_quiet}: the total lag of the
 * sink's consumer group ({@code connect-<name>}, or the connector's {@code consumer.override.group.id}) and
 * the end offsets of its dead-letter topic ({@code errors.deadletterqueue.topic.name}). Both names are read
 * from the connector config at the wait's first reading and kept with the wait.
 */
final class KafkaWaitReads {
  /** The connector config key naming a sink's dead-letter topic (KIP-298). */
  static final String DLQ_TOPIC = "errors.deadletterqueue.topic.name";
  /** The connector config key overriding a sink's consumer group (KIP-458). */
  static final String GROUP_OVERRIDE = "consumer.override.group.id";

  private KafkaWaitReads() {}

  static Future<KafkaWaitPolicy.Reading> read(Incident inc, KafkaWait k, Optional<ConnectApi> api,
      Optional<KafkaOps> kafka) {
    if (kafka.isEmpty()) {
      return Future.succeededFuture(KafkaWaitPolicy.Reading.fatal("wait_for " + (k.lag() ? "lag" : "dlq_quiet")
          + " needs the Kafka cluster of Connect cluster \"" + inc.cluster() + "\": set connect_clusters." + inc.cluster()
          + ".kafka in runbookd.yaml"));
    }
    Future<String[]> names = k.group() != null && (k.dlqQuiet() == null || k.dlqTopic() != null)
        ? Future.succeededFuture(new String[] {k.group(), k.dlqTopic()})
        : api.map(a -> a.config(inc.connector()).map(c -> new String[] {
                Optional.ofNullable(c.get(GROUP_OVERRIDE)).filter(s -> !s.isBlank()).orElse("connect-" + inc.connector()),
                Optional.ofNullable(c.get(DLQ_TOPIC)).filter(s -> !s.isBlank()).orElse(null)}))
            .orElseGet(() -> Future.failedFuture("Connect cluster not configured"));
    KafkaOps ops = kafka.get();
    return names.compose(n -> {
      String group = n[0];
      String dlq = n[1];
      if (k.dlqQuiet() != null && dlq == null) {
        return Future.succeededFuture(KafkaWaitPolicy.Reading.fatal("wait_for dlq_quiet: connector " + inc.connector()
            + " has no dead-letter topic (" + DLQ_TOPIC + " is not set)"));
      }
      Future<Long> lag = !k.lag() ? Future.succeededFuture(null) : ops.consumerGroup(group).compose(g ->
          "DEAD".equals(g.state()) && g.partitions().isEmpty()
              ? Future.failedFuture("consumer group " + group + " does not exist (is " + inc.connector() + " a sink?)")
              : Future.succeededFuture(g.totalLag()));
      Future<Long> dlqEnd = k.dlqQuiet() == null ? Future.succeededFuture(null) : ops.partitions(dlq)
          .compose(ps -> ops.latestOffsets(ps))
          .map(ends -> ends.values().stream().mapToLong(Long::longValue).sum())
          // Connect creates the topic with its first dead letter: none yet is quiet
          .recover(err -> err instanceof KafkaOpsException e && e.kind() == KafkaOpsException.Kind.NOT_FOUND
              ? Future.succeededFuture(0L) : Future.failedFuture(err));
      return Future.join(lag, dlqEnd).transform(ar -> Future.succeededFuture(new KafkaWaitPolicy.Reading(group, dlq,
          lag.succeeded() ? lag.result() : null, lag.failed() ? lag.cause().getMessage() : null,
          dlqEnd.succeeded() ? dlqEnd.result() : null, dlqEnd.failed() ? dlqEnd.cause().getMessage() : null, null)));
    }, err -> Future.succeededFuture(new KafkaWaitPolicy.Reading(null, null, null, "connector config unavailable: "
        + err.getMessage(), null, "connector config unavailable: " + err.getMessage(), null)));
  }
}
