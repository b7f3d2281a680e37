package io.runbookd.rules;

/**
 * Traces built to hurt: long, and shaped after the shipped rules' patterns so that a backtracking
 * matcher (java.util.regex) takes time polynomial in their length.
 */
public final class HostileTraces {
  static final String HEADER = "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n"
      + "\tat org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execAndHandleError("
      + "RetryWithToleranceOperator.java:260)\n";

  private HostileTraces() {}

  /**
   * A trace of about {@code chars} characters against the Schema Registry rule
   * ({@code rules/20-schema-registry-unavailable.yaml}): {@code (?s) opener .* ( ... |
   * RestClientException.*error\scode:\s5\d{4} | ... )}. Every line opens ("Error retrieving Avro")
   * and names a RestClientException whose error code is a 4xx, never a 5xx, so the rule does not match
   * and a backtracking matcher retries its inner {@code .*} from every RestClientException after every
   * opener, to the end of the text. Every line is a {@code Caused by:}, so all of it is searched.
   * The trace starts with "Tolerance exceeded in error handler": the tolerance rule is the right one.
   */
  public static String schemaRegistryBacktracking(int chars) {
    String line = "Caused by: org.apache.kafka.common.errors.SerializationException: Error retrieving Avro value"
        + " schema for id 12; io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException:"
        + " Subject 'orders-value' not found; error code: 40401\n";
    return repeatTo(HEADER, line, chars, "");
  }

  /**
   * A trace of about {@code chars} characters: a sink task's wrapper, then stack frames, then at the
   * very end the root cause {@code cause} (one line, e.g. a PSQLException) and its frames.
   */
  static String causeAtTheEnd(int chars, String cause) {
    String first = "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable"
        + " exception.\n";
    String frame = "\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:632)\n";
    String end = "Caused by: " + cause + "\n"
        + "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:346)\n"
        + "\t... 18 more\n";
    return repeatTo(first, frame, chars - end.length(), end);
  }

  static String repeatTo(String head, String line, int chars, String tail) {
    StringBuilder out = new StringBuilder(chars + tail.length() + line.length()).append(head);
    while (out.length() + line.length() <= chars) {
      out.append(line);
    }
    return out.append(tail).toString();
  }
}
