package io.runbookd.bench;

/**
 * Rule files of per-team rules, as an organisation with many teams writes them: each rule matches the
 * Connect failure alerts of one team's connectors by prefix ({@code connector=~"team<i>-.*"}), has a
 * trace pattern, a description and a notify-then-restart runbook; about 470 characters a rule, like
 * the shipped rules. Used by the rule selection benchmark, the load cost run and the 10,000-rule test.
 */
public final class ManyRules {
  private ManyRules() {}

  /** One file of {@code count} per-team rules, named {@code team-0} to {@code team-<count-1>}. */
  public static String file(int count) {
    StringBuilder y = new StringBuilder(count * 520).append("rules:\n");
    for (int i = 0; i < count; i++) {
      y.append("  - name: team-").append(i).append('\n')
          .append("    description: >-\n      Connectors of team ").append(i)
          .append(" failing on a refused database connection: restart the failed tasks, tell the team.\n")
          .append("    match:\n")
          .append("      alert: ['alertname=~\"KafkaConnect(Task|Connector)Failure\"', 'connector=~\"team").append(i)
          .append("-.*\"']\n")
          .append("      trace: '(?i)connection (to \\S+ )?refused|Connection refused'\n")
          .append("    target:\n      cluster: '{{ labels.connect_cluster }}'\n      connector: '{{ labels.connector }}'\n")
          .append("    steps:\n      - notify: { notifier: owner, message: 'team ").append(i)
          .append(": {{ target.connector }} failed: {{ trace.cause }}' }\n")
          .append("      - restart: { include_tasks: true, only_failed: true }\n");
    }
    return y.toString();
  }
}
