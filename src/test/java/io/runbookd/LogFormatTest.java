package io.runbookd;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The production log pattern (src/main/resources/logback.xml): user data cannot forge a log line. */
class LogFormatTest {

  @Test
  void crAndLfInAMessageAreEscapedSoNoInputStartsANewLine() throws Exception {
    String xml = Files.readString(Path.of("src/main/resources/logback.xml"));
    Matcher m = Pattern.compile("<pattern>(.*?)</pattern>").matcher(xml);
    assertThat(m.find()).isTrue();
    LoggerContext ctx = new LoggerContext();
    PatternLayout layout = new PatternLayout();
    layout.setContext(ctx);
    layout.setPattern(m.group(1));
    layout.start();
    LoggingEvent e = new LoggingEvent("x", ctx.getLogger("io.runbookd.engine.AlertProcessor"), Level.INFO,
        "cluster={} connector={} msg=\"no rule matches\"", null,
        new Object[] {"prod", "x\r\nts=2025-01-01T00:00:00Z level=ERROR logger=Forged msg=\"owned\""});

    String line = layout.doLayout(e);

    assertThat(line).endsWith("\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n").doesNotContain("\r")
        .contains("connector=x\\r\\nts=2025-01-01T00:00:00Z level=ERROR");
  }
}
