package io.runbookd.kafka;

/**
 * A Kafka call that failed, with the reason in a form the engine can decide on. The message names the
 * cluster and the call; it never holds a client property value.
 */
public final class KafkaOpsException extends RuntimeException {
  /** Why a Kafka call failed. */
  public enum Kind {
    /** The call did not finish within {@code kafka_clusters.<name>.request_timeout}; it may still take effect. */
    TIMEOUT,
    /** The group, topic or partition does not exist. */
    NOT_FOUND,
    /**
     * The consumer group has active members: its offsets can only be changed when it is EMPTY (the
     * {@code Admin.alterConsumerGroupOffsets} contract).
     */
    GROUP_NOT_EMPTY,
    /** The brokers refused runbookd's credentials (SASL or TLS). */
    AUTHENTICATION,
    /** runbookd's principal lacks an ACL for the call. */
    AUTHORIZATION,
    /** The request was invalid (an offset out of range, a bad argument). */
    INVALID,
    /** Any other failure. */
    FAILED
  }

  private final Kind kind;
  private final String cluster;

  public KafkaOpsException(Kind kind, String cluster, String message, Throwable cause) {
    super("kafka cluster " + cluster + ": " + message, cause);
    this.kind = kind;
    this.cluster = cluster;
  }

  public KafkaOpsException(Kind kind, String cluster, String message) {
    this(kind, cluster, message, null);
  }

  public Kind kind() {
    return kind;
  }

  /** The Kafka cluster's name in runbookd.yaml. */
  public String cluster() {
    return cluster;
  }
}
