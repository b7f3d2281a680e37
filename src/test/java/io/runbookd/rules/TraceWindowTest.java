package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TraceWindowTest {
  private static final int LIMIT = RuleEvaluator.TRACE_SEARCH_LIMIT;
  private static final String FRAME = "\tat com.example.Task.run(Task.java:1)\n";

  @Test
  void aTraceNoLongerThanTheLimitIsSearchedWhole() {
    String trace = "x".repeat(LIMIT);
    assertThat(TraceWindow.of(trace)).isSameAs(trace);
  }

  @Test
  void pastTheLimitOnlyCausesAndTheirMessagesAreSearched() {
    String head = HostileTraces.repeatTo("boom\n", FRAME, LIMIT + 100, "");
    String trace = head
        + "Caused by: a.First: one\n  second line of the message\n" + FRAME + "\t... 3 more\n"
        + "\tCaused by: b.Second: two\r\n" + FRAME
        + "Suppressed: c.Third\n" + FRAME
        + "not a Caused by: line\n";
    assertThat(TraceWindow.of(trace)).isEqualTo(head.substring(0, LIMIT)
        + "\nCaused by: a.First: one\n  second line of the message"
        + "\nCaused by: b.Second: two");
  }

  @Test
  void aCauseCutByTheLimitIsTakenWhole() {
    String head = HostileTraces.repeatTo("boom\n", FRAME, LIMIT - 5, "");
    String trace = head + "Caused by: a.First: one\n" + FRAME.repeat(10);
    assertThat(TraceWindow.of(trace)).isEqualTo(trace.substring(0, LIMIT) + "\nCaused by: a.First: one");
  }

  @Test
  void theCausesSearchedAreTheLastOnesAndAtMostTheLimit() {
    String cause = "Caused by: a.Cause: " + "m".repeat(80) + "\n";
    String trace = "x".repeat(LIMIT) + "\n" + cause.repeat(10_000) + "Caused by: root.Cause: the root\n";
    String window = TraceWindow.of(trace);
    assertThat(window.length()).isLessThanOrEqualTo(2 * LIMIT);
    assertThat(window).endsWith("\nCaused by: root.Cause: the root");
    // and a single cause longer than the limit is cut to it
    String huge = "x".repeat(LIMIT) + "\nCaused by: a.Huge: " + "m".repeat(3 * LIMIT);
    assertThat(TraceWindow.of(huge)).hasSize(2 * LIMIT);
  }
}
