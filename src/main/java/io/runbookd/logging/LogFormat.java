package io.runbookd.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

/**
 * Chooses the encoder of the console appender ({@code STDOUT} in {@code logback.xml}) from
 * {@code log.format} in runbookd.yaml: {@code logfmt} keeps the pattern of {@code logback.xml};
 * {@code json} writes one JSON object per line with logback's {@link JsonEncoder} ({@code timestamp}
 * in epoch milliseconds, {@code level}, {@code threadName}, {@code loggerName}, {@code kvpList} with
 * the fields of {@link LogFields}, {@code formattedMessage}, {@code throwable} with its stack frames).
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
    JsonEncoder json = jsonEncoder(context);
    synchronized (out) {
      out.stop();
      out.setEncoder(json);
      out.start();
    }
  }

  /** The started JSON encoder of {@code log.format: json}. */
  static JsonEncoder jsonEncoder(LoggerContext context) {
    JsonEncoder json = new JsonEncoder();
    json.setContext(context);
    json.setWithSequenceNumber(false);
    json.setWithNanoseconds(false);
    json.setWithContext(false);
    // the format string and raw arguments: the formatted message (cleaned of secrets) is written instead
    json.setWithMessage(false);
    json.setWithArguments(false);
    json.setWithFormattedMessage(true);
    json.start();
    return json;
  }
}
