package io.runbookd.engine;

import io.runbookd.alert.WebhookMessage;
import io.runbookd.rules.RuleEvaluator;
import java.util.Objects;

/**
 * Which rule one alert of a webhook body matches and why, condition by condition, as
 * {@code runbookd explain} prints it.
 *
 * @param alert the alert as parsed from the body
 * @param evaluation every rule in order up to the winner (all rules when none matched), with the
 *     winner if any
 */
public record AlertExplanation(WebhookMessage.Alert alert, RuleEvaluator.Evaluation evaluation) {
  public AlertExplanation {
    Objects.requireNonNull(alert, "alert");
    Objects.requireNonNull(evaluation, "evaluation");
  }
}
