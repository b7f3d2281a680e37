package io.runbookd.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Captures every log event of {@code io.runbookd} (and optionally more) at INFO and above, for assertions. */
public final class LogCapture implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final List<Logger> loggers;

  public LogCapture(String... names) {
    appender.start();
    loggers = java.util.Arrays.stream(names).map(n -> (Logger) LoggerFactory.getLogger(n)).toList();
    for (Logger l : loggers) {
      l.addAppender(appender);
    }
  }

  /** Every captured line: its fields and message (logfmt) plus the messages of its exception chain. */
  public List<String> lines() {
    return List.copyOf(appender.list).stream().map(LogCapture::text).collect(Collectors.toList());
  }

  public List<String> lines(Level atLeast) {
    return List.copyOf(appender.list).stream().filter(e -> e.getLevel().isGreaterOrEqual(atLeast)).map(LogCapture::text)
        .collect(Collectors.toList());
  }

  private static String text(ILoggingEvent e) {
    // as the logfmt console writes it: fields, then msg="..."
    StringBuilder out = new StringBuilder(e.getLevel() + " " + e.getLoggerName() + " " + io.runbookd.logging.Logfmt.fieldsAndMessage(e));
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      out.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
    }
    return out.toString();
  }

  @Override
  public void close() {
    for (Logger l : loggers) {
      l.detachAppender(appender);
    }
    appender.stop();
  }

  /** Sets a logger's level, returning the previous one (null = inherited). */
  public static Level level(String name, Level level) {
    Logger l = (Logger) LoggerFactory.getLogger(name);
    Level before = l.getLevel();
    l.setLevel(level);
    return before;
  }
}
