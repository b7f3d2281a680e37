package io.runbookd.model;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A failure storm on one Connect cluster: many connectors failed at once (a broker or network outage),
 * so automatic actions on the cluster pause and one summary is sent instead of one page per connector.
 * At most one storm per cluster is active at a time; it is stored, so a restart neither forgets it nor
 * sends its summary twice.
 *
 * @param id store-assigned id
 * @param cluster the Connect cluster
 * @param startedAt when the failure that crossed the threshold arrived
 * @param lastFailureAt the latest failure (incident opened) counted in the storm
 * @param quietUntil the storm is active while now is before this: {@code lastFailureAt + window}
 * @param window the detection window (also the quiet time that ends the storm)
 * @param notifier the notifier of the summary, null for none
 * @param summarySentAt when the summary was delivered, null until then
 * @param endedAt when the storm was found over, null while it may be active
 * @param connectors distinct connectors of the cluster that opened incidents from {@code startedAt - window}
 *     to {@code lastFailureAt} (computed when read)
 * @param sample some of their names: the first to fail, in name order (computed when read)
 */
public record Storm(
    long id,
    String cluster,
    Instant startedAt,
    Instant lastFailureAt,
    Instant quietUntil,
    Duration window,
    String notifier,
    Instant summarySentAt,
    Instant endedAt,
    int connectors,
    List<String> sample) {

  public Storm {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(lastFailureAt, "lastFailureAt");
    Objects.requireNonNull(quietUntil, "quietUntil");
    Objects.requireNonNull(window, "window");
    sample = sample == null ? List.of() : List.copyOf(sample);
  }

  /** True while automatic actions on the cluster are paused: not ended and {@code now < quietUntil}. */
  public boolean activeAt(Instant now) {
    return endedAt == null && now.isBefore(quietUntil);
  }
}
