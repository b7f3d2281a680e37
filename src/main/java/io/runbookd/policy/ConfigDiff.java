package io.runbookd.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runbookd.model.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The connector config a {@code wait_for: { config_change: true }} step started from, and what changed
 * since: the JSON of {@code GET /connectors/{name}/config} (Kafka Connect REST API,
 * https://kafka.apache.org/documentation/#connect_rest), a flat object of strings. Pure.
 */
public final class ConfigDiff {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TypeReference<LinkedHashMap<String, String>> MAP = new TypeReference<>() {};

  private ConfigDiff() {}

  /** The stored form of a config. */
  public static String write(Map<String, String> config) {
    return Json.write(config);
  }

  /**
   * Parses a stored config.
   *
   * @throws IllegalArgumentException when {@code json} is not a flat object of strings
   */
  public static Map<String, String> parse(String json) {
    try {
      return MAPPER.readValue(json, MAP);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a connector config: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * What changed, as JSON {@code {"changed_keys":[...],"removed_keys":[...]}} (sorted; a key added since
   * counts as changed).
   */
  public static String describe(Map<String, String> before, Map<String, String> after) {
    List<String> changed = after.keySet().stream().filter(k -> !after.get(k).equals(before.get(k))).sorted().toList();
    List<String> removed = before.keySet().stream().filter(k -> !after.containsKey(k)).sorted().toList();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("changed_keys", changed);
    out.put("removed_keys", removed);
    return Json.write(out);
  }
}
