package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * How far one {@code dlq_replay} step run got in one dead-letter partition.
 *
 * @param stepRunId the step run
 * @param partition the dead-letter topic partition
 * @param startOffset the dead-letter offset the replay started at
 * @param nextOffset the first dead-letter offset not yet done: every record before it was replayed (and
 *     acknowledged by Kafka) or skipped
 * @param replayed records re-produced so far
 * @param skipped records passed over so far (not matching the filter, already replayed once, or without
 *     the context headers naming their topic)
 * @param updatedAt when this was stored
 */
public record DlqProgress(long stepRunId, TopicPartition partition, long startOffset, long nextOffset, long replayed,
    long skipped, Instant updatedAt) {
  public DlqProgress {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (nextOffset < startOffset || replayed < 0 || skipped < 0) {
      throw new IllegalArgumentException("bad progress " + startOffset + ".." + nextOffset + " replayed=" + replayed
          + " skipped=" + skipped);
    }
  }
}
