package io.runbookd.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** JSON text of values for the record (step parameters, plans, before/after state). Pure: no I/O. */
public final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .registerModule(new Jdk8Module())
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

  private Json() {}

  /** The tree of JSON text; throws {@link java.io.IOException} when it is not JSON. */
  public static com.fasterxml.jackson.databind.JsonNode read(String text) throws java.io.IOException {
    return MAPPER.readTree(text);
  }

  /** The JSON text of {@code value}; its {@code toString()} when Jackson cannot write it. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return String.valueOf(value);
    }
  }
}
