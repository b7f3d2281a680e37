package io.runbookd.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runbookd.config.ConfigException;
import io.runbookd.config.ConfigLoader;
import io.runbookd.model.Incident;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A log call of the engine as an operator's log pipeline reads it, in logfmt and in JSON. */
class LogEncodingTest {
  private static final String SECRET = "format-secret-7331";
  /** A valid Connect name and label value: quotes, a blank, a backslash, a newline, an equals sign. */
  private static final String CONNECTOR = "orders \"sink\"\\v2\nlevel=ERROR forged=1";

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private Logger logger;

  @BeforeEach
  void capture() {
    ConfigLoader.parse("notifiers: { n: { type: pagerduty, routing_key: " + SECRET + " } }\n", "runbookd.yaml");
    appender.start();
    logger = (Logger) LoggerFactory.getLogger("io.runbookd.test.Format");
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
  }

  @AfterEach
  void release() {
    logger.detachAppender(appender);
    logger.setLevel(null);
  }

  private void logStep() {
    LoggerFactory.getLogger("io.runbookd.test.Format").info("{} attempt={} step={} error={} msg=\"step failed: {}\"",
        new Incident.LogContext("inc-1", "restart-failed-tasks", "prod", CONNECTOR), 2, 0,
        "HTTP 500 \"boom\" from /" + SECRET, "Connect said \"no\"");
  }

  @Test
  void logfmtQuotesAndEscapesEveryValueSoNoneCanForgeAPairOrALine() {
    logStep();
    String line = Logfmt.fieldsAndMessage(appender.list.get(0));
    assertThat(line).isEqualTo("incident=inc-1 rule=restart-failed-tasks cluster=prod"
        + " connector=\"orders \\\"sink\\\"\\\\v2\\nlevel=ERROR forged=1\" attempt=2 step=0"
        + " error=\"HTTP 500 \\\"boom\\\" from /<redacted>\" msg=\"step failed: Connect said \\\"no\\\"\"");
    assertThat(line).doesNotContain("\n");
    assertThat(parseLogfmt(line)).containsEntry("connector", CONNECTOR).containsEntry("msg", "step failed: Connect said \"no\"")
        .containsEntry("attempt", "2").doesNotContainKey("forged");
  }

  @Test
  void jsonHasTheIncidentContextAsFieldsAndTheSecretMasked() throws Exception {
    logStep();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    String line = new String(LogFormat.jsonEncoder(context).encode(appender.list.get(0)), StandardCharsets.UTF_8);
    assertThat(line.strip()).doesNotContain("\n").doesNotContain(SECRET);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("loggerName").asText()).isEqualTo("io.runbookd.test.Format");
    assertThat(json.path("formattedMessage").asText()).isEqualTo("step failed: Connect said \"no\"");
    Map<String, String> fields = new LinkedHashMap<>();
    json.path("kvpList").forEach(kv -> kv.fields().forEachRemaining(f -> fields.put(f.getKey(), f.getValue().asText())));
    assertThat(fields).containsEntry("incident", "inc-1").containsEntry("rule", "restart-failed-tasks")
        .containsEntry("cluster", "prod").containsEntry("connector", CONNECTOR).containsEntry("attempt", "2")
        .containsEntry("error", "HTTP 500 \"boom\" from /<redacted>");
  }

  @Test
  void aCallWithoutFieldsIsAllMessageAndANullFieldIsLeftOut() {
    logger.info("Connect cluster {}: restart answered {}", "prod", 204);
    LoggerFactory.getLogger("io.runbookd.test.Format").info("{} took_ms={} error={}",
        new Incident.LogContext("inc-2", "r", "c", "n"), 5, null);
    assertThat(Logfmt.fieldsAndMessage(appender.list.get(0))).isEqualTo("msg=\"Connect cluster prod: restart answered 204\"");
    assertThat(Logfmt.fieldsAndMessage(appender.list.get(1))).isEqualTo("incident=inc-2 rule=r cluster=c connector=n took_ms=5 msg=\"\"");
  }

  @Test
  void logFormatIsLogfmtByDefaultJsonOnRequestAndNothingElse() {
    assertThat(ConfigLoader.parse("dry_run: true\n", "runbookd.yaml").log().format()).isEqualTo("logfmt");
    assertThat(ConfigLoader.parse("log: { format: json }\n", "runbookd.yaml").log().format()).isEqualTo("json");
    Assertions.assertThatThrownBy(() -> ConfigLoader.parse("log: { format: xml }\n", "runbookd.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("log.format").hasMessageContaining("xml");
  }

  /** A logfmt reader as Loki's and Heroku's: bare or double-quoted values with backslash escapes. */
  private static Map<String, String> parseLogfmt(String line) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = 0;
    while (i < line.length()) {
      int eq = line.indexOf('=', i);
      String key = line.substring(i, eq);
      StringBuilder v = new StringBuilder();
      i = eq + 1;
      if (i < line.length() && line.charAt(i) == '"') {
        i++;
        while (line.charAt(i) != '"') {
          char c = line.charAt(i++);
          if (c == '\\') {
            char e = line.charAt(i++);
            v.append(switch (e) {
              case 'n' -> '\n';
              case 'r' -> '\r';
              case 't' -> '\t';
              default -> e;
            });
          } else {
            v.append(c);
          }
        }
        i++;
      } else {
        while (i < line.length() && line.charAt(i) != ' ') {
          v.append(line.charAt(i++));
        }
      }
      out.put(key, v.toString());
      while (i < line.length() && line.charAt(i) == ' ') {
        i++;
      }
    }
    return out;
  }
}
