package io.runbookd.callout;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One Alertmanager's silences, through its API v2 (prometheus/alertmanager {@code api/v2/openapi.yaml}):
 * {@code POST /api/v2/silences} creates one and answers {@code {"silenceID": "..."}};
 * {@code DELETE /api/v2/silence/{silenceID}} expires it. Every call is bounded by the Alertmanager's
 * {@code timeout}.
 */
public interface Silences {
  /**
   * A label matcher of a silence.
   *
   * @param name label name
   * @param value the value (a regular expression when {@code isRegex})
   * @param isRegex the value is a regular expression
   * @param isEqual true for {@code =}/{@code =~}, false for {@code !=}/{@code !~}
   */
  record Matcher(String name, String value, boolean isRegex, boolean isEqual) {
    public Matcher {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }

    /** {@code name="value"}. */
    public static Matcher equal(String name, String value) {
      return new Matcher(name, value, false, true);
    }
  }

  /**
   * Creates a silence active from {@code startsAt} to {@code endsAt}.
   *
   * @return the silence id Alertmanager gave it
   */
  Future<String> create(List<Matcher> matchers, Instant startsAt, Instant endsAt, String createdBy, String comment);

  /**
   * Expires silence {@code id}. A silence Alertmanager no longer knows (404) or that is already expired
   * counts as expired.
   */
  Future<Void> expire(String id);
}
