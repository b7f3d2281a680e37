package io.runbookd.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.runbookd.rules.Durations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Loads runbookd.yaml strictly: an unknown key, a wrong type or a bad duration is a
 * {@link ConfigException} naming the file, the line and the key path. Relative paths inside the
 * config (rules, data directory) are resolved against the config file's directory.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  private static ObjectMapper mapper() {
    SimpleModule module = new SimpleModule("runbookd-config");
    module.addDeserializer(Duration.class, new JsonDeserializer<>() {
      @Override
      public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        try {
          return Durations.parse(p.getValueAsString());
        } catch (IllegalArgumentException e) {
          throw JsonMappingException.from(p, e.getMessage());
        }
      }
    });
    module.addDeserializer(Secret.class, new JsonDeserializer<>() {
      @Override
      public Secret deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        String key = p.currentName() == null ? "secret" : p.currentName();
        if (!p.currentToken().isScalarValue()) {
          throw JsonMappingException.from(p, "must be a string");
        }
        return Secret.resolve(p.getValueAsString(), key);
      }
    });
    return new ObjectMapper(new YAMLFactory())
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .registerModule(module);
  }

  /**
   * Reads and validates {@code file}.
   *
   * @throws ConfigException when the file cannot be read or is invalid
   */
  public static RunbookdConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
    RunbookdConfig raw = parse(text, file.toString());
    Path base = file.toAbsolutePath().getParent();
    return resolvePaths(raw, base);
  }

  /**
   * Parses config text; {@code name} is used in messages. Paths stay as written. The secret values of
   * the result are added to {@link Secrets#known()} and the log filter that masks them is installed.
   */
  public static RunbookdConfig parse(String text, String name) {
    try {
      RunbookdConfig c = mapper().readValue(text, RunbookdConfig.class);
      if (c == null) {
        c = new RunbookdConfig(null, null, null, null, null, null, false);
      }
      // From here on its secrets are masked in every log line and error text of this JVM.
      Secrets.remember(Secrets.of(c));
      io.runbookd.logging.RedactingTurboFilter.install();
      return c;
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(where(name, text, e) + "unknown key \"" + e.getPropertyName() + "\" in "
          + path(e) + " (allowed: " + e.getKnownPropertyIds() + ")");
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (e.getPath().isEmpty() && cause instanceof ConfigException && cause.getMessage().matches("[a-z_][a-z0-9_.-]*: .*")) {
        // a check across sections: the message starts with the key path it is about
        String key = cause.getMessage().substring(0, cause.getMessage().indexOf(": "));
        throw new ConfigException(name + lineOf(text, key) + ": " + cause.getMessage());
      }
      throw new ConfigException(where(name, text, e) + path(e) + ": " + cause.getMessage());
    } catch (JsonMappingException e) {
      throw new ConfigException(where(name, text, e) + path(e) + ": " + scrub(path(e), e.getOriginalMessage()));
    } catch (IOException e) {
      throw new ConfigException(name + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code name:line: } for the YAML node at the exception's path (Jackson buffers record properties,
   * so its own location often points past the offending key).
   */
  private static String where(String name, String text, JsonMappingException e) {
    int line = -1;
    try {
      org.yaml.snakeyaml.nodes.Node node = new org.yaml.snakeyaml.Yaml().compose(new java.io.StringReader(text));
      for (JsonMappingException.Reference r : e.getPath()) {
        if (node instanceof org.yaml.snakeyaml.nodes.MappingNode m && r.getFieldName() != null) {
          org.yaml.snakeyaml.nodes.Node next = null;
          for (org.yaml.snakeyaml.nodes.NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof org.yaml.snakeyaml.nodes.ScalarNode k && k.getValue().equals(r.getFieldName())) {
              line = k.getStartMark().getLine() + 1;
              next = t.getValueNode();
            }
          }
          node = next;
        } else if (node instanceof org.yaml.snakeyaml.nodes.SequenceNode q && r.getIndex() >= 0 && r.getIndex() < q.getValue().size()) {
          node = q.getValue().get(r.getIndex());
          line = node.getStartMark().getLine() + 1;
        } else {
          break;
        }
      }
    } catch (RuntimeException ignored) {
      // fall back to Jackson's location
    }
    if (line < 0 && e.getLocation() != null) {
      line = e.getLocation().getLineNr();
    }
    return line < 0 ? name + ": " : name + ":" + line + ": ";
  }

  /** {@code :<line>} of the key at dotted {@code keyPath} (as far as it exists), or empty. */
  private static String lineOf(String text, String keyPath) {
    int line = -1;
    try {
      org.yaml.snakeyaml.nodes.Node node = new org.yaml.snakeyaml.Yaml().compose(new java.io.StringReader(text));
      for (String k : keyPath.split("\\.")) {
        org.yaml.snakeyaml.nodes.Node next = null;
        if (node instanceof org.yaml.snakeyaml.nodes.MappingNode m) {
          for (org.yaml.snakeyaml.nodes.NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof org.yaml.snakeyaml.nodes.ScalarNode s && s.getValue().equals(k)) {
              line = s.getStartMark().getLine() + 1;
              next = t.getValueNode();
            }
          }
        }
        if (next == null) {
          break;
        }
        node = next;
      }
    } catch (RuntimeException ignored) {
      // no line
    }
    return line < 0 ? "" : ":" + line;
  }

  /** Keys under which a value may be a secret: Jackson's messages quote the offending value. */
  private static final java.util.regex.Pattern SECRET_PATH =
      java.util.regex.Pattern.compile("(?i).*(auth|password|token|secret|credential|routing_key|url|headers|jdbc).*");

  /** Jackson messages quote the value they could not convert ({@code from String value ('...')}); not for secrets. */
  static String scrub(String path, String message) {
    if (message == null || !SECRET_PATH.matcher(path).matches()) {
      return message;
    }
    return message.replaceAll("\\('(?s:.*?)'\\)", "(" + Redact.MASK + ")").replaceAll("\"(?s:[^\"]*)\"", "\"" + Redact.MASK + "\"");
  }

  private static String path(JsonMappingException e) {
    StringBuilder out = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (out.length() > 0) {
          out.append('.');
        }
        out.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        out.append('[').append(r.getIndex()).append(']');
      }
    }
    return out.length() == 0 ? "(top level)" : out.toString();
  }

  private static RunbookdConfig resolvePaths(RunbookdConfig c, Path base) {
    var rules = new RunbookdConfig.RulesConfig(c.rules().paths().stream().map(p -> base.resolve(p).normalize().toString()).toList(),
        c.rules().watchInterval());
    var s = c.store();
    var store = new RunbookdConfig.StoreConfig(base.resolve(s.dataDir()).normalize().toString(), s.jdbcUrl(), s.username(),
        s.password(), null, s.maxPoolSize());
    return new RunbookdConfig(c.server(), store, rules, c.connectClusters(), c.notifiers(), c.engine(), c.dryRun(),
        c.guards(), c.log(), c.kafkaClusters(), c.pipelines(), c.alertmanagers());
  }
}
