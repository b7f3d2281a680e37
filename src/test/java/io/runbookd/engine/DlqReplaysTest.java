package io.runbookd.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.alert.LinearPattern;
import io.runbookd.model.KafkaRecord;
import io.runbookd.model.KafkaRecord.Header;
import io.runbookd.rules.Step;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which dead-letter records a replay sends, and what the copy looks like. */
class DlqReplaysTest {
  private static final String DATA = "org.apache.kafka.connect.errors.DataException";

  private static KafkaRecord dead(long offset, String exceptionClass, String message, Header... own) {
    List<Header> headers = new java.util.ArrayList<>(List.of(own));
    headers.add(Header.text("__connect.errors.topic", "orders"));
    headers.add(Header.text("__connect.errors.partition", "2"));
    headers.add(Header.text("__connect.errors.offset", Long.toString(offset + 1000)));
    headers.add(Header.text("__connect.errors.exception.class.name", exceptionClass));
    headers.add(Header.text("__connect.errors.exception.message", message));
    headers.add(Header.text("__connect.errors.exception.stacktrace", "at ..."));
    return new KafkaRecord("orders-dlq", 0, offset, Instant.EPOCH, "k".getBytes(StandardCharsets.UTF_8),
        "not-json{".getBytes(StandardCharsets.UTF_8), headers);
  }

  @Test
  void theCopyGoesToTheOriginalPartitionWithItsOwnHeadersAndTheReplayMarkOnly() {
    KafkaRecord copy = DlqReplays.copy(dead(7, DATA, "bad", Header.text("trace-id", "abc")), "inc-1");
    assertThat(copy.topic()).isEqualTo("orders");
    assertThat(copy.partition()).isEqualTo(2);
    assertThat(new String(copy.key(), StandardCharsets.UTF_8)).isEqualTo("k");
    assertThat(new String(copy.value(), StandardCharsets.UTF_8)).isEqualTo("not-json{");
    assertThat(copy.headers()).extracting(Header::key).containsExactly("trace-id", "runbookd.dlq.replayed");
    assertThat(copy.header("runbookd.dlq.replayed")).contains("inc-1");
  }

  @Test
  void filtersOnTheExceptionClassAndMessageAndSkipsWhatWasReplayedBefore() {
    Step.DlqReplay onlyData = new Step.DlqReplay(null, DATA, null, 10, 10);
    assertThat(DlqReplays.skipReason(dead(0, DATA, "x", new Header[0]), onlyData, null)).isNull();
    assertThat(DlqReplays.skipReason(dead(0, "java.lang.IllegalStateException", "x"), onlyData, null))
        .isEqualTo("filtered");
    Step.DlqReplay byMessage = new Step.DlqReplay(null, null, "(?i)unrecognized token", 10, 10);
    LinearPattern p = LinearPattern.compile(byMessage.message(), true);
    assertThat(DlqReplays.skipReason(dead(0, DATA, "Unrecognized token 'not'"), byMessage, p)).isNull();
    assertThat(DlqReplays.skipReason(dead(0, DATA, "Unexpected end-of-input"), byMessage, p)).isEqualTo("filtered");
    assertThat(DlqReplays.skipReason(dead(0, DATA, "x", Header.text("runbookd.dlq.replayed", "inc-0")), onlyData,
        null)).isEqualTo("replayed_before");
    KafkaRecord noContext = new KafkaRecord("orders-dlq", 0, 0, Instant.EPOCH, null, null, List.of());
    assertThat(DlqReplays.skipReason(noContext, new Step.DlqReplay(null, null, null, 1, 1), null))
        .isEqualTo("no_context_headers");
  }
}
