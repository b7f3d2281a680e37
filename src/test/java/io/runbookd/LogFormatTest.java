package io.runbookd;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The production log pattern (src/main/resources/logback.xml): user data cannot forge a log line. */
class LogFormatTest {

  @Test
  @SuppressWarnings("unchecked")
  void crAndLfInAMessageAreEscapedSoNoInputStartsANewLine() throws Exception {
    LoggerContext ctx = new LoggerContext();
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(ctx);
    joran.doConfigure(Path.of("src/main/resources/logback.xml").toFile());
    var appender = (OutputStreamAppender<ILoggingEvent>) ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
    var layout = ((LayoutWrappingEncoder<ILoggingEvent>) appender.getEncoder()).getLayout();
    LoggingEvent e = new LoggingEvent("x", ctx.getLogger("io.runbookd.engine.AlertProcessor"), Level.INFO,
        "cluster={} connector={} msg=\"no rule matches\"", null,
        new Object[] {"prod", "x\r\nts=2025-01-01T00:00:00Z level=ERROR logger=Forged msg=\"owned\""});

    String line = layout.doLayout(e);

    assertThat(line).endsWith("\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n").doesNotContain("\r")
        .contains("connector=x\\r\\nts=2025-01-01T00:00:00Z level=ERROR");
  }
}
