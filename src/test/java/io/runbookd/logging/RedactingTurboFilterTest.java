package io.runbookd.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.runbookd.config.ConfigLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every logger's lines, as appenders receive them, with secrets masked and long values cut. */
class RedactingTurboFilterTest {
  private static final String SECRET = "filter-secret-4242";

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final List<Logger> loggers = new ArrayList<>();

  @BeforeEach
  void capture() {
    ConfigLoader.parse("notifiers: { n: { type: pagerduty, routing_key: " + SECRET + " } }\n", "runbookd.yaml");
    appender.start();
    for (String name : List.of("io.runbookd.test", "io.vertx.test.ThirdParty")) {
      Logger l = (Logger) LoggerFactory.getLogger(name);
      l.setLevel(ch.qos.logback.classic.Level.INFO);
      l.addAppender(appender);
      loggers.add(l);
    }
  }

  @AfterEach
  void release() {
    loggers.forEach(l -> {
      l.detachAppender(appender);
      l.setLevel(null);
    });
  }

  private List<String> lines() {
    List<String> out = new ArrayList<>();
    for (ILoggingEvent e : appender.list) {
      StringBuilder b = new StringBuilder(e.getLevel() + " " + Logfmt.fieldsAndMessage(e));
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        b.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      out.add(b.toString());
    }
    return out;
  }

  @Test
  void aSecretInTheMessageAnArgumentOrAnExceptionChainIsMasked() {
    org.slf4j.Logger ours = LoggerFactory.getLogger("io.runbookd.test");
    org.slf4j.Logger theirs = LoggerFactory.getLogger("io.vertx.test.ThirdParty");
    ours.info("body: 500 no route for /x/" + SECRET);
    ours.warn("msg=\"delivery failed: {}\"", "HTTP 500: " + SECRET);
    theirs.error("request failed", new IllegalStateException("wrapped", new java.io.IOException("POST /" + SECRET)));
    ours.info("nothing secret here: {}", 42);

    assertThat(lines()).hasSize(4).allSatisfy(l -> assertThat(l).doesNotContain(SECRET));
    assertThat(lines()).containsExactly(
        "INFO msg=\"body: 500 no route for /x/<redacted>\"",
        "WARN msg=\"delivery failed: HTTP 500: <redacted>\"",
        "ERROR msg=\"request failed\" | io.runbookd.logging.RedactingTurboFilter$Cleaned: java.lang.IllegalStateException: wrapped"
            + " | io.runbookd.logging.RedactingTurboFilter$Cleaned: java.io.IOException: POST /<redacted>",
        "INFO msg=\"nothing secret here: 42\"");
    assertThat(appender.list.get(2).getThrowableProxy().getCause().getStackTraceElementProxyArray())
        .as("the stack trace is kept").isNotEmpty();
  }

  @Test
  void aHundredKilobyteValueIsCutWithItsLength() {
    String name = "c".repeat(100 * 1024);
    LoggerFactory.getLogger("io.runbookd.test").info("cluster={} connector={} msg=\"restart\"", "prod", name);
    String line = Logfmt.fieldsAndMessage(appender.list.get(0));
    assertThat(line).startsWith("cluster=prod connector=\"" + "c".repeat(256) + "…(102400 chars)\"")
        .endsWith(" msg=\"restart\"")
        .hasSizeLessThan(400);
  }

  @Test
  void disabledLevelsStayDisabled() {
    LoggerFactory.getLogger("io.runbookd.test").debug("debug {}", SECRET);
    assertThat(appender.list).isEmpty();
  }
}
