package io.runbookd.rules;

import io.pebbletemplates.pebble.error.PebbleException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Load-time checks of the templates in a rule: each is compiled, then rendered once against a probe
 * context ({@link TemplateContext#targetProbe()} or {@link TemplateContext#messageProbe()}), so that
 * syntax errors, unknown filters and functions, and variables that do not exist are load errors
 * rather than failures during an incident. Errors go to the file's {@link RuleYaml}.
 */
final class TemplateChecks {

  /** Pebble's render-time message for an unknown filter or function. */
  private static final Pattern UNKNOWN_CALLABLE =
      Pattern.compile("(Filter|Function or Macro) \\[(.+)\\] does not exist\\.?");

  private final RuleYaml yaml;

  TemplateChecks(RuleYaml yaml) {
    this.yaml = yaml;
  }

  /**
   * The template at {@code node}; null after reporting.
   *
   * @param targetTemplate true for {@code target.*}, which see only labels, annotations and rule;
   *     false for messages, which see every {@link TemplateContext#MESSAGE_VARIABLES} variable
   */
  Template template(Node node, String path, boolean targetTemplate) {
    String text = yaml.nonEmptyString(node, path);
    if (text == null) {
      return null;
    }
    Template t;
    try {
      t = Template.compile(text);
    } catch (Template.TemplateException e) {
      yaml.error(node, path + ": invalid template: " + compileError(e.getMessage()) + templateLine(e, text));
      return null;
    }
    try {
      t.render(targetTemplate ? TemplateContext.targetProbe() : TemplateContext.messageProbe());
    } catch (Template.TemplateException e) {
      String undefined = TemplateContext.undefinedVariable(
          e, targetTemplate ? TemplateContext.TARGET_VARIABLES : TemplateContext.MESSAGE_VARIABLES);
      if (undefined != null) {
        yaml.error(node, path + ": " + undefined + (targetTemplate
            ? "; target templates are rendered before the connector is known, so they see only labels,"
                + " annotations and rule"
            : ""));
        return null;
      }
      Matcher unknown = UNKNOWN_CALLABLE.matcher(String.valueOf(e.getMessage()));
      if (unknown.matches()) {
        String kind = unknown.group(1).equals("Filter") ? "filter" : "function";
        yaml.error(node, path + ": invalid template: unknown " + kind + " \"" + unknown.group(2) + "\"");
        return null;
      }
      // Other failures (e.g. a number filter on a probe string) depend on run-time values.
    }
    return t;
  }

  /**
   * A template of an {@code http} step (its URL when {@code url}: values percent-encoded); rendered at load
   * against {@link TemplateContext#httpProbe()}. Null after reporting.
   */
  Template httpTemplate(Node node, String path, boolean url) {
    String text = yaml.nonEmptyString(node, path);
    if (text == null) {
      return null;
    }
    Template t;
    try {
      t = url ? Template.compileUrl(text) : Template.compile(text);
    } catch (Template.TemplateException e) {
      yaml.error(node, path + ": invalid template: " + compileError(e.getMessage()) + templateLine(e, text));
      return null;
    }
    try {
      t.render(TemplateContext.httpProbe());
    } catch (Template.TemplateException e) {
      String undefined = TemplateContext.undefinedVariable(e, TemplateContext.HTTP_VARIABLES);
      if (undefined != null) {
        yaml.error(node, path + ": " + undefined);
        return null;
      }
      Matcher unknown = UNKNOWN_CALLABLE.matcher(String.valueOf(e.getMessage()));
      if (unknown.matches()) {
        yaml.error(node, path + ": invalid template: unknown " + (unknown.group(1).equals("Filter") ? "filter" : "function")
            + " \"" + unknown.group(2) + "\"");
        return null;
      }
    }
    return t;
  }

  /**
   * A notification message: the template at {@code node}, or {@link RuleLoader#DEFAULT_MESSAGE} when
   * {@code node} is null (the key is absent); null after reporting.
   */
  Template message(Node node, String path) {
    return node == null ? Template.compile(RuleLoader.DEFAULT_MESSAGE) : template(node, path, false);
  }

  /** Pebble's parse errors, with its token jargon replaced where a rule author would be lost. */
  private static String compileError(String pebbleMessage) {
    if (pebbleMessage != null && pebbleMessage.contains("expected token of type PRINT_END")) {
      return "\"{{\" is not closed by \"}}\"";
    }
    if (pebbleMessage != null && pebbleMessage.contains("expected token of type EXECUTE_END")) {
      return "\"{%\" is not closed by \"%}\"";
    }
    return pebbleMessage;
  }

  /** {@code " (line n of the template)"} for a multi-line template whose error Pebble locates; else empty. */
  private static String templateLine(Template.TemplateException e, String text) {
    if (text.contains("\n") && e.getCause() instanceof PebbleException p
        && p.getLineNumber() != null && p.getLineNumber() > 0) {
      return " (line " + p.getLineNumber() + " of the template)";
    }
    return "";
  }
}
