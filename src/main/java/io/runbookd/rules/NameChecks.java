package io.runbookd.rules;

import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Checks the names a rule refers to (Connect clusters, notifiers) against those runbookd.yaml
 * defines, when the {@link RuleLoader.Context} gives them. Errors go to the file's {@link RuleYaml}.
 */
final class NameChecks {
  private final RuleLoader.Context context;
  private final RuleYaml yaml;

  NameChecks(RuleLoader.Context context, RuleYaml yaml) {
    this.context = context;
    this.yaml = yaml;
  }

  /**
   * Reports a {@code target.cluster} that names an undefined cluster; a templated cluster (rendered
   * from the alert) is checked only when an incident opens.
   */
  void cluster(Node node, String cluster) {
    if (context.clusters() == null || isTemplated(cluster) || context.clusters().contains(cluster)) {
      return;
    }
    yaml.error(node, "undefined Connect cluster \"" + cluster + "\" used in target.cluster "
        + defined(context.clusters()));
  }

  /**
   * The notifier named at {@code node} (a non-empty string at {@code path}), reporting it when it is
   * undefined; null after reporting a value that is not a name.
   *
   * @param usedIn where the notifier is used, for the "undefined notifier" message
   */
  String notifier(Node node, String path, String usedIn) {
    String notifier = yaml.nonEmptyString(node, path);
    if (notifier != null && context.notifiers() != null && !context.notifiers().contains(notifier)) {
      yaml.error(node, "undefined notifier \"" + notifier + "\" used in " + usedIn + " "
          + defined(context.notifiers()));
    }
    return notifier;
  }

  private static boolean isTemplated(String text) {
    return text.contains("{{") || text.contains("{%") || text.contains("{#");
  }

  private static String defined(Set<String> names) {
    return names.isEmpty() ? "(none defined in runbookd.yaml)" : "(defined: " + String.join(", ", new TreeSet<>(names)) + ")";
  }
}
