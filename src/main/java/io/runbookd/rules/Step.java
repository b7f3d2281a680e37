package io.runbookd.rules;

import io.runbookd.model.ConnectorState;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One remediation step of a rule. The YAML key of each step is given by {@link #type()}.
 *
 * <p>A step is {@linkplain #destructive() destructive} when it can lose or duplicate data; those need
 * an approval unless the rule opts out (rules/README.md, "Approval gates").
 */
public sealed interface Step
    permits Step.Restart, Step.RestartTask, Step.Pause, Step.Resume, Step.Stop, Step.PatchConfig,
        Step.Wait, Step.WaitFor, Step.Notify, Step.Approve, Step.Http, Step.Silence {

  /** The step's YAML key, also the {@code action} metric label. */
  String type();

  /** True when the step can lose or duplicate data. */
  default boolean destructive() {
    return false;
  }

  /**
   * True when the step changes something in Kafka Connect (restart, restart_task, pause, resume, stop,
   * patch_config): the actions the cluster guards count ({@code guards.max_actions}).
   */
  default boolean actsOnConnect() {
    return false;
  }

  /** {@code restart: {include_tasks, only_failed}}: KIP-745 restart. */
  record Restart(boolean includeTasks, boolean onlyFailed) implements Step {
    @Override
    public String type() {
      return "restart";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /**
   * {@code restart_task: {task: <id>}} restarts one task; {@code restart_task: {}} restarts every
   * FAILED task one by one.
   */
  record RestartTask(Optional<Integer> task) implements Step {
    public RestartTask {
      Objects.requireNonNull(task, "task");
    }

    @Override
    public String type() {
      return "restart_task";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /** {@code pause: {}}. */
  record Pause() implements Step {
    @Override
    public String type() {
      return "pause";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /** {@code resume: {}}. */
  record Resume() implements Step {
    @Override
    public String type() {
      return "resume";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /** {@code stop: {}} (KIP-875). */
  record Stop() implements Step {
    @Override
    public String type() {
      return "stop";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /**
   * {@code patch_config: {set: {k: v}, validate: true}}: merges keys into the connector config after
   * validating the merged config against the plugin; the old values are recorded.
   *
   * @param set keys to set; a null value removes the key
   * @param validate validate through {@code /connector-plugins/{class}/config/validate} first
   */
  record PatchConfig(Map<String, String> set, boolean validate) implements Step {
    public PatchConfig {
      set = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(set));
    }

    @Override
    public String type() {
      return "patch_config";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }

    /**
     * Widening error tolerance can silently drop records: with {@code errors.tolerance=all} Connect
     * skips records that fail conversion or transformation (KIP-298,
     * https://cwiki.apache.org/confluence/display/KAFKA/KIP-298%3A+Error+Handling+in+Connect).
     */
    @Override
    public boolean destructive() {
      return "all".equalsIgnoreCase(set.get("errors.tolerance"));
    }
  }

  /** {@code wait: 30s}: sleeps. */
  record Wait(Duration duration) implements Step {
    public Wait {
      Objects.requireNonNull(duration, "duration");
    }

    @Override
    public String type() {
      return "wait";
    }
  }

  /**
   * {@code wait_for: {state: RUNNING, within: 2m, stable_for: 30s}} polls the connector until the
   * connector and all tasks are in {@code state} for {@code stableFor}, failing after
   * {@code within}. With {@code config_change: true} it instead waits until the connector
   * configuration differs from the one seen when the step started (an operator fixed a credential).
   */
  record WaitFor(ConnectorState state, Duration within, Duration stableFor, boolean configChange)
      implements Step {
    public WaitFor {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(within, "within");
      Objects.requireNonNull(stableFor, "stableFor");
    }

    @Override
    public String type() {
      return "wait_for";
    }
  }

  /** {@code notify: {notifier: owner, message: '...'}}. */
  record Notify(String notifier, Template message) implements Step {
    public Notify {
      Objects.requireNonNull(notifier, "notifier");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public String type() {
      return "notify";
    }
  }

  /**
   * {@code approve: {ttl: 30m, default: reject, notify: owner}}: a human gate. The attempt stops here in
   * AWAITING_APPROVAL; the notifier is told the incident id and the steps that follow (up to the next
   * gate). {@code POST /api/v1/incidents/{id}/approve} continues with them; {@code reject} ends the
   * automatic remediation. After {@code ttl} without a decision, {@code defaultApprove} decides.
   *
   * @param ttl how long the gate waits for a decision; positive
   * @param defaultApprove the decision when the TTL passes: approve (true) or reject (false)
   * @param notifier who is asked
   */
  record Approve(Duration ttl, boolean defaultApprove, String notifier) implements Step {
    public Approve {
      Objects.requireNonNull(ttl, "ttl");
      Objects.requireNonNull(notifier, "notifier");
    }

    @Override
    public String type() {
      return "approve";
    }
  }

  /**
   * {@code http: {method, url, headers, body, timeout, expect: {status, body}, until: {every, within}}}: one
   * templated HTTP request (a health check, a credential lease renewal) whose answer must meet
   * {@code expect}; with {@code until} it is sent again every {@code every} until the answer meets it,
   * failing after {@code within}.
   *
   * @param method HTTP method, upper case
   * @param url the URL template; every value a {@code {{ }}} expression puts in it is percent-encoded (RFC
   *     3986 unreserved characters kept) except {@code schema_registry.url} and values piped through
   *     {@code raw}
   * @param headers header name to value (a template, or a secret file read when the step runs)
   * @param body request body template, or null for none
   * @param timeout bound of each request (connect, send and the whole answer)
   * @param status the accepted statuses: codes ({@code 200}), classes ({@code 2xx}) or ranges
   *     ({@code 200-299})
   * @param bodyPattern an RE2 pattern the answer's body (first 64 KiB) must contain, or null
   * @param every time between two requests while polling; null without {@code until}
   * @param within the poll fails when the answer has not met {@code expect} by then; null without
   *     {@code until}
   */
  record Http(String method, Template url, Map<String, Header> headers, Template body, Duration timeout,
      java.util.List<String> status,
      @com.fasterxml.jackson.annotation.JsonIgnore io.runbookd.alert.LinearPattern bodyPattern,
      Duration every, Duration within) implements Step {
    public Http {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(url, "url");
      headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
      Objects.requireNonNull(timeout, "timeout");
      status = java.util.List.copyOf(status);
    }

    @Override
    public String type() {
      return "http";
    }

    /** The RE2 pattern as written, for the step's record. */
    @com.fasterxml.jackson.annotation.JsonProperty("body_regex")
    public String bodyRegex() {
      return bodyPattern == null ? null : bodyPattern.pattern();
    }

    /** True when {@code code} is one of the accepted statuses. */
    public boolean accepts(int code) {
      for (String s : status) {
        if (s.endsWith("xx") && s.length() == 3 && code / 100 == s.charAt(0) - '0') {
          return true;
        }
        int dash = s.indexOf('-');
        if (dash > 0 && code >= Integer.parseInt(s.substring(0, dash)) && code <= Integer.parseInt(s.substring(dash + 1))) {
          return true;
        }
        if (dash < 0 && !s.endsWith("xx") && Integer.parseInt(s) == code) {
          return true;
        }
      }
      return false;
    }

    /**
     * One header value: a {@code template}, or the content of {@code file} (read each time the step runs,
     * stripped, after {@code prefix}): a secret, masked wherever the step's answer or error is recorded.
     */
    public record Header(Template template, String file, String prefix) {
      /** True for a value read from a secret file. */
      public boolean secret() {
        return file != null;
      }
    }
  }

  /**
   * {@code silence: {alertmanager, duration, comment, matchers}}: an Alertmanager silence on the alert
   * being remediated, active for at most {@code duration} and expired early when the incident closes or
   * escalates. A silence that cannot be created is recorded and the steps go on.
   *
   * @param alertmanager the {@code alertmanagers.<name>} to use; null for the only one configured
   * @param duration the silence's longest life
   * @param comment the silence's comment (a message template)
   * @param matchers label name to value template; empty for the defaults ({@code alertname},
   *     {@code connector} and, when the alert has it, {@code connect_cluster}, from the alert's labels)
   */
  record Silence(String alertmanager, Duration duration, Template comment, Map<String, Template> matchers)
      implements Step {
    public Silence {
      Objects.requireNonNull(duration, "duration");
      Objects.requireNonNull(comment, "comment");
      matchers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(matchers));
    }

    @Override
    public String type() {
      return "silence";
    }
  }
}
