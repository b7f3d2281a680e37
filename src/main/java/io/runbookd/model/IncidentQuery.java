package io.runbookd.model;

import java.time.Instant;

/**
 * Filters for listing incidents; every null field means "any". Results are ordered by
 * {@code openedAt} descending, then id descending.
 *
 * @param state only this state; or null
 * @param open true = only open, false = only closed, null = both
 * @param cluster exact cluster name
 * @param connector exact connector name
 * @param rule exact rule name
 * @param since only incidents opened at or after this instant
 * @param limit page size, 1..1000
 * @param offset rows to skip
 */
public record IncidentQuery(
    IncidentState state, Boolean open, String cluster, String connector, String rule, Instant since, int limit, int offset) {

  public static IncidentQuery all() {
    return new IncidentQuery(null, null, null, null, null, null, 100, 0);
  }
}
