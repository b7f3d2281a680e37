package io.runbookd.rules;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.loader.StringLoader;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;

/**
 * A compiled Pebble template from a rule, e.g. {@code '{{ labels.connector }}'}.
 *
 * <p>Variables are strict: referring to a label the alert does not carry is an error, not an empty
 * string, so a target can never silently become the empty connector name. Output is not escaped; a
 * value put into a URL must go through the {@code urlencode} filter, and the Connect client
 * percent-encodes connector names itself.
 */
public final class Template {
  private static final PebbleEngine ENGINE =
      new PebbleEngine.Builder()
          .loader(new StringLoader())
          .strictVariables(true)
          .autoEscaping(false)
          .newLineTrimming(false)
          .cacheActive(false)
          .build();

  private final String source;
  private final PebbleTemplate compiled;

  private Template(String source, PebbleTemplate compiled) {
    this.source = source;
    this.compiled = compiled;
  }

  /**
   * Compiles {@code source}.
   *
   * @throws TemplateException when the source is not a valid Pebble template
   */
  public static Template compile(String source) {
    Objects.requireNonNull(source, "source");
    try {
      return new Template(source, ENGINE.getTemplate(source));
    } catch (PebbleException e) {
      throw new TemplateException(e.getPebbleMessage() == null ? e.getMessage() : e.getPebbleMessage(), e);
    }
  }

  /**
   * Renders with {@code context} (e.g. {@code labels}, {@code annotations}, {@code target},
   * {@code incident}, {@code trace}).
   *
   * @throws TemplateException when a referenced variable is missing or a filter fails
   */
  public String render(Map<String, Object> context) {
    StringWriter out = new StringWriter();
    try {
      compiled.evaluate(out, context);
    } catch (PebbleException e) {
      throw new TemplateException(e.getPebbleMessage() == null ? e.getMessage() : e.getPebbleMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      // Pebble's filters can fail without a PebbleException, e.g. a NullPointerException from
      // "abbreviate" called without its argument: still the template's fault, not the caller's.
      throw new TemplateException(e.toString(), e);
    }
    return out.toString();
  }

  /** The template text as written in the rule (also its JSON form). */
  @com.fasterxml.jackson.annotation.JsonValue
  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return source;
  }

  /** A template that does not compile or render. */
  public static final class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TemplateException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
