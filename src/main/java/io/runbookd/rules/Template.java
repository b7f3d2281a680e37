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

  /**
   * The engine of URL templates: every {@code {{ }}} value is percent-encoded (RFC 3986 section 2.3:
   * unreserved characters stay), except a {@code SafeString} value or one piped through {@code raw}.
   */
  private static final PebbleEngine URL_ENGINE =
      new PebbleEngine.Builder()
          .loader(new StringLoader())
          .strictVariables(true)
          .autoEscaping(true)
          .addEscapingStrategy("url", Template::percentEncode)
          .defaultEscapingStrategy("url")
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
   * Compiles a URL template: each value an expression puts in it is percent-encoded, so a label with
   * {@code /}, {@code ?} or a space stays one path segment or parameter value.
   *
   * @throws TemplateException when the source is not a valid Pebble template
   */
  public static Template compileUrl(String source) {
    Objects.requireNonNull(source, "source");
    try {
      return new Template(source, URL_ENGINE.getTemplate(source));
    } catch (PebbleException e) {
      throw new TemplateException(e.getPebbleMessage() == null ? e.getMessage() : e.getPebbleMessage(), e);
    }
  }

  /** {@code s} with every byte outside RFC 3986's unreserved set ({@code A-Z a-z 0-9 - . _ ~}) as {@code %XX}. */
  static String percentEncode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
          || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return out.toString();
  }

  /** {@code value} as a Pebble safe string: a URL template puts it in as it is. */
  public static Object safe(String value) {
    return value == null ? null : new io.pebbletemplates.pebble.extension.escaper.SafeString(value);
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
