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
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

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
  void jsonIsOneFlatObjectWithTheIncidentContextAsTopLevelFieldsAndTheSecretMasked() throws Exception {
    logStep();
    String line = json(appender.list.get(0));
    assertThat(line.strip()).doesNotContain("\n").doesNotContain(SECRET);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.isObject()).isTrue();
    assertThat(OffsetDateTime.parse(json.path("@timestamp").asText()).toInstant())
        .isEqualTo(Instant.ofEpochMilli(appender.list.get(0).getTimeStamp()));
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("logger").asText()).isEqualTo("io.runbookd.test.Format");
    assertThat(json.path("thread").asText()).isEqualTo(Thread.currentThread().getName());
    assertThat(json.path("message").asText()).isEqualTo("step failed: Connect said \"no\"");
    assertThat(json.path("incident").asText()).isEqualTo("inc-1");
    assertThat(json.path("rule").asText()).isEqualTo("restart-failed-tasks");
    assertThat(json.path("cluster").asText()).isEqualTo("prod");
    assertThat(json.path("connector").asText()).isEqualTo(CONNECTOR);
    assertThat(json.path("attempt").isIntegralNumber()).as("attempt is a number: %s", line).isTrue();
    assertThat(json.path("attempt").asInt()).isEqualTo(2);
    assertThat(json.path("step").asInt()).isZero();
    assertThat(json.path("error").asText()).isEqualTo("HTTP 500 \"boom\" from /<redacted>");
    assertThat(json.has("kvpList")).isFalse();
    assertThat(json.has("stack_trace")).isFalse();
  }

  @Test
  void jsonMasksTheSecretInFieldValuesAndInTheWholeStackTrace() throws Exception {
    IllegalStateException thrown = new IllegalStateException("restart of /" + SECRET + " failed",
        new java.io.IOException("POST /connectors?token=" + SECRET));
    thrown.addSuppressed(new IllegalArgumentException("rollback with " + SECRET));
    LoggerFactory.getLogger("io.runbookd.test.Format").error("{} took_ms={} url={} msg=\"remediation failed: {}\"",
        new Incident.LogContext("inc-3", "r", "c", SECRET + "-sink"), 17L, "http://u:" + SECRET + "@connect:8083", SECRET,
        thrown);
    // a value no log call's arguments carry (MDC): masked by the encoder itself
    String plain;
    MDC.put("request", "auth=" + SECRET);
    try {
      logger.warn("plain line");
      plain = json(appender.list.get(1));
    } finally {
      MDC.remove("request");
    }
    String line = json(appender.list.get(0));
    assertThat(line + plain).doesNotContain(SECRET);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("message").asText()).isEqualTo("remediation failed: <redacted>");
    assertThat(json.path("connector").asText()).isEqualTo("<redacted>-sink");
    assertThat(json.path("url").asText()).isEqualTo("http://u:<redacted>@connect:8083");
    assertThat(json.path("took_ms").isIntegralNumber()).isTrue();
    assertThat(json.path("took_ms").asLong()).isEqualTo(17L);
    assertThat(json.path("stack_trace").asText())
        .contains("java.lang.IllegalStateException: restart of /<redacted> failed")
        .contains("Caused by: ").contains("java.io.IOException: POST /connectors?token=<redacted>")
        .contains("Suppressed: ").contains("java.lang.IllegalArgumentException: rollback with <redacted>")
        .contains("\tat io.runbookd.logging.LogEncodingTest.jsonMasksTheSecretInFieldValuesAndInTheWholeStackTrace");
    JsonNode p = new ObjectMapper().readTree(plain);
    assertThat(p.path("message").asText()).isEqualTo("plain line");
    assertThat(p.path("request").asText()).isEqualTo("auth=<redacted>");
  }

  @Test
  void aFieldNamedLikeAMemberOfEveryLineCannotRepeatIt() throws Exception {
    LoggerFactory.getLogger("io.runbookd.test.Format").info("incident={} level={} msg=\"escalated\"", "inc-4", 2);
    String line = json(appender.list.get(0));
    assertThat(line.split("\"level\":", -1)).as("one level member: %s", line).hasSize(2);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("field_level").asInt()).isEqualTo(2);
    assertThat(Logfmt.fieldsAndMessage(appender.list.get(0))).isEqualTo("incident=inc-4 field_level=2 msg=\"escalated\"");
  }

  private static String json(ILoggingEvent event) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    return new String(LogFormat.jsonEncoder(context).encode(event), StandardCharsets.UTF_8);
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
