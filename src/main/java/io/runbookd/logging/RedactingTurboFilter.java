package io.runbookd.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.EventArgUtil;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.IdentityHashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;

/**
 * A logback turbo filter that keeps secrets and oversized user data out of every log line, of every
 * logger (runbookd's and third-party ones: Vert.x, Netty, HikariCP, Flyway, the JDBC drivers): a log
 * call whose message, arguments or exception messages contain a configured secret or a value longer
 * than {@link LogText} allows is replaced by the same event with the text cleaned by {@link LogText}
 * (exceptions, their causes and suppressed ones keep their stack traces; their class names move into their
 * messages). runbookd's own
 * calls ({@code key={} ... msg="..."}) become events with fields and a message ({@link LogFields}),
 * cleaned the same way. Other calls pass unchanged.
 *
 * <p>Declared in {@code logback.xml}, and added by {@link #install()} when a configuration is loaded,
 * so a replaced logback configuration does not lose it.
 */
public final class RedactingTurboFilter extends TurboFilter {
  private static final int MAX_CAUSES = 16;

  /** Adds a started filter to logback's context unless one is there already; no-op without logback. */
  public static void install() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    synchronized (context) {
      if (context.getTurboFilterList().stream().anyMatch(f -> f instanceof RedactingTurboFilter)) {
        return;
      }
      RedactingTurboFilter filter = new RedactingTurboFilter();
      filter.setName("runbookd-redaction");
      filter.setContext(context);
      filter.start();
      context.addTurboFilter(filter);
    }
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null || level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    Throwable thrown = t;
    Object[] args = params;
    if (thrown == null && args != null) {
      thrown = EventArgUtil.extractThrowable(args);
      if (thrown != null) {
        args = EventArgUtil.trimmedCopy(args);
      }
    }
    LogFields.Parsed parsed = LogFields.parse(format, args);
    String clean = LogText.clean(parsed.message());
    boolean changed = !parsed.fields().isEmpty() || !clean.equals(parsed.message());
    Throwable cleanThrown = thrown == null ? null : clean(thrown, new IdentityHashMap<>(), 0);
    changed |= cleanThrown != thrown;
    if (!changed) {
      return FilterReply.NEUTRAL;
    }
    LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, level, clean, cleanThrown, null);
    for (KeyValuePair kv : parsed.fields()) {
      Object v = kv.value instanceof Number || kv.value instanceof Boolean ? kv.value : LogText.clean(String.valueOf(kv.value));
      event.addKeyValuePair(new KeyValuePair(kv.key, v));
    }
    if (marker != null) {
      event.addMarker(marker);
    }
    logger.callAppenders(event);
    return FilterReply.DENY;
  }

  /** {@code t} itself when its chain is clean, else a copy of the chain with cleaned messages. */
  private static Throwable clean(Throwable t, Map<Throwable, Throwable> seen, int depth) {
    if (seen.containsKey(t)) {
      return seen.get(t);
    }
    seen.put(t, t);
    String message = t.getMessage();
    String cleanMessage = LogText.clean(message);
    Throwable cause = t.getCause();
    Throwable cleanCause = cause == null || cause == t || depth >= MAX_CAUSES ? cause : clean(cause, seen, depth + 1);
    Throwable[] suppressed = t.getSuppressed();
    Throwable[] cleanSuppressed = new Throwable[suppressed.length];
    boolean suppressedChanged = false;
    for (int i = 0; i < suppressed.length; i++) {
      cleanSuppressed[i] = depth >= MAX_CAUSES ? suppressed[i] : clean(suppressed[i], seen, depth + 1);
      suppressedChanged |= cleanSuppressed[i] != suppressed[i];
    }
    if (cleanCause == cause && !suppressedChanged && (message == null || cleanMessage.equals(message))) {
      return t;
    }
    Cleaned copy = new Cleaned(t.getClass().getName() + (cleanMessage == null ? "" : ": " + cleanMessage), cleanCause);
    copy.setStackTrace(t.getStackTrace());
    for (Throwable s : cleanSuppressed) {
      copy.addSuppressed(s);
    }
    seen.put(t, copy);
    return copy;
  }

  /** An exception of the log record whose message was cleaned; its message starts with the original class name. */
  static final class Cleaned extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Cleaned(String message, Throwable cause) {
      super(message, cause, true, true);
    }
  }
}
