package io.runbookd.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The {@code %logfmt} conversion word of {@code logback.xml}: the event's fields and message as
 * escaped logfmt pairs ({@link Logfmt#fieldsAndMessage}).
 */
public final class LogfmtConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return Logfmt.fieldsAndMessage(event);
  }
}
