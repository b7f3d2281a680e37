package io.runbookd.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import io.runbookd.config.Secrets;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import net.logstash.logback.mask.MaskingJsonGeneratorDecorator;
import org.slf4j.LoggerFactory;

/**
 * Chooses the encoder of the console appender ({@code STDOUT} in {@code logback.xml}) from
 * {@code log.format} in runbookd.yaml: {@code logfmt} keeps the pattern of {@code logback.xml};
 * {@code json} writes one flat JSON object per line with logstash-logback-encoder's {@link LogstashEncoder}
 * (https://github.com/logfellow/logstash-logback-encoder): {@code @timestamp} (ISO-8601 in UTC, milliseconds),
 * {@code level}, {@code logger}, {@code thread}, {@code message}, then each field of the call ({@link LogFields}:
 * {@code incident}, {@code rule}, {@code cluster}, {@code connector}, {@code attempt}, {@code took_ms}, ...; numbers
 * as JSON numbers) as a top-level member, and {@code stack_trace} (the exception's text, frames on their own
 * lines) when there is one. Every string value is written with configured secrets masked ({@link Secrets}),
 * whatever put it there.
 */
public final class LogFormat {
  /** The appender whose encoder is chosen. */
  public static final String APPENDER = "STDOUT";

  private LogFormat() {}

  /**
   * Switches the console appender to {@code format} ({@code logfmt} or {@code json}); no-op without
   * logback or without the appender.
   */
  public static void apply(String format) {
    if (!"json".equals(format) || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    Appender<ILoggingEvent> appender = root.getAppender(APPENDER);
    if (!(appender instanceof OutputStreamAppender<ILoggingEvent> out)) {
      return;
    }
    LogstashEncoder json = jsonEncoder(context);
    synchronized (out) {
      out.stop();
      out.setEncoder(json);
      out.start();
    }
  }

  /** The started JSON encoder of {@code log.format: json}. */
  static LogstashEncoder jsonEncoder(LoggerContext context) {
    LogstashEncoder json = new LogstashEncoder();
    json.setContext(context);
    LogstashFieldNames names = new LogstashFieldNames();
    names.setLogger("logger");
    names.setThread("thread");
    names.setVersion("[ignore]");
    names.setLevelValue("[ignore]");
    json.setFieldNames(names);
    json.setTimeZone("UTC");
    json.setTimestampPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX");
    // the logger context's properties (HOSTNAME, ...) are not the event's
    json.setIncludeContext(false);
    MaskingJsonGeneratorDecorator masking = new MaskingJsonGeneratorDecorator();
    masking.addValueMasker((at, value) -> {
      if (value instanceof CharSequence text) {
        String masked = Secrets.redactKnown(text.toString());
        return masked.contentEquals(text) ? null : masked;
      }
      return null;
    });
    masking.start();
    json.setJsonGeneratorDecorator(masking);
    json.start();
    return json;
  }
}
