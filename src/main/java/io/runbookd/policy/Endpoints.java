package io.runbookd.policy;

import io.runbookd.model.Endpoint;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The endpoints a connector depends on, read from its config (the body of {@code GET
 * /connectors/{name}/config}). Pure; nothing is resolved or contacted here.
 *
 * <p>Keys read, in this order: {@code connection.url} (a JDBC URL: PostgreSQL, MySQL/MariaDB, SQL
 * Server, Oracle thin, DB2; or an http(s) URL such as Elasticsearch's), {@code database.hostname} with
 * {@code database.port} (Debezium sources; the port defaults by {@code connector.class}), {@code
 * connection.uri} and {@code mongodb.connection.string} (MongoDB connection strings), {@code
 * connection.host} with {@code connection.port}, then every {@code *schema.registry.url} (Confluent
 * converters). Of a list of hosts (a failover URL, a replica set) the first is taken. Default ports are
 * each driver's documented default (PostgreSQL 5432, MySQL 3306, SQL Server 1433, Oracle 1521, DB2
 * 50000, MongoDB 27017, http 80, https 443).
 */
public final class Endpoints {
  /** The config keys looked at, for a message saying none held an endpoint. */
  public static final String KEYS = "connection.url, database.hostname/database.port, connection.uri,"
      + " mongodb.connection.string, connection.host/connection.port, *schema.registry.url";

  private static final Pattern ORACLE_HOST = Pattern.compile("\\(\\s*HOST\\s*=\\s*([^)\\s]+)\\s*\\)", Pattern.CASE_INSENSITIVE);
  private static final Pattern ORACLE_PORT = Pattern.compile("\\(\\s*PORT\\s*=\\s*(\\d+)\\s*\\)", Pattern.CASE_INSENSITIVE);

  private Endpoints() {}

  /** Every endpoint found in {@code config}, in the order above; empty when none is found. */
  public static List<Endpoint> from(Map<String, String> config) {
    List<Endpoint> out = new ArrayList<>();
    String url = trimmed(config.get("connection.url"));
    if (url != null) {
      jdbcOrHttp(url).ifPresent(out::add);
    }
    String host = trimmed(config.get("database.hostname"));
    if (host != null) {
      Integer port = port(config.get("database.port"));
      if (port == null) {
        port = defaultPort(config.getOrDefault("connector.class", ""));
      }
      if (port != null) {
        out.add(new Endpoint(host, port, null, "database.hostname"));
      }
    }
    for (String key : List.of("connection.uri", "mongodb.connection.string")) {
      String uri = trimmed(config.get(key));
      if (uri != null) {
        mongo(uri, key).ifPresent(out::add);
      }
    }
    String chost = trimmed(config.get("connection.host"));
    Integer cport = port(config.get("connection.port"));
    if (chost != null && cport != null) {
      out.add(new Endpoint(chost, cport, null, "connection.host"));
    }
    config.keySet().stream().filter(k -> k.endsWith("schema.registry.url")).sorted().forEach(k -> {
      String first = trimmed(config.get(k).split(",")[0]);
      if (first != null) {
        http(first, k).ifPresent(out::add);
      }
    });
    return List.copyOf(out);
  }

  /**
   * The connector's Schema Registry base URL: the first URL of {@code value.converter.schema.registry.url},
   * else of {@code key.converter.schema.registry.url}, else of any other {@code *schema.registry.url} key
   * (sorted), without trailing slashes; empty when the config names none. The Confluent converters take a
   * comma-separated list of URLs (https://docs.confluent.io/platform/current/schema-registry/connect.html).
   */
  public static Optional<String> schemaRegistryUrl(Map<String, String> config) {
    List<String> keys = new ArrayList<>(List.of("value.converter.schema.registry.url", "key.converter.schema.registry.url"));
    config.keySet().stream().filter(k -> k.endsWith("schema.registry.url") && !keys.contains(k)).sorted().forEach(keys::add);
    for (String k : keys) {
      String v = config.get(k);
      String first = v == null ? null : trimmed(v.split(",")[0]);
      if (first != null && first.toLowerCase(Locale.ROOT).matches("https?://.+")) {
        return Optional.of(first.replaceAll("/+$", ""));
      }
    }
    return Optional.empty();
  }

  /** The first endpoint found, or, when {@code http}, the first found as an http(s) URL. */
  public static Optional<Endpoint> pick(Map<String, String> config, boolean http) {
    return from(config).stream().filter(e -> !http || e.url() != null).findFirst();
  }

  private static Optional<Endpoint> jdbcOrHttp(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      return http(url.split(",")[0].trim(), "connection.url");
    }
    if (!lower.startsWith("jdbc:")) {
      return Optional.empty();
    }
    if (lower.startsWith("jdbc:oracle:")) {
      return oracle(url);
    }
    int sep = lower.indexOf("://");
    if (sep < 0) {
      return Optional.empty();
    }
    String sub = lower.substring("jdbc:".length(), sep);
    Integer def = switch (sub) {
      case "postgresql", "pgsql" -> 5432;
      case "mysql", "mariadb", "mysql:loadbalance", "mysql:replication" -> 3306;
      case "sqlserver", "jtds:sqlserver" -> 1433;
      case "db2" -> 50000;
      default -> null;
    };
    if (def == null) {
      return Optional.empty();
    }
    String rest = url.substring(sep + 3);
    // authority ends at the path (/), the query (?), or SQL Server's properties (;)
    int end = indexOfAny(rest, "/?;");
    String authority = end < 0 ? rest : rest.substring(0, end);
    authority = authority.substring(authority.lastIndexOf('@') + 1).split(",")[0];
    if (sub.endsWith("sqlserver")) {
      // host\instance:port, or host:port
      int slash = authority.indexOf('\\');
      if (slash >= 0) {
        int colon = authority.indexOf(':', slash);
        authority = authority.substring(0, slash) + (colon < 0 ? "" : authority.substring(colon));
      }
    }
    return hostPort(authority, def, "connection.url");
  }

  /** {@code jdbc:oracle:thin:@host:port:SID}, {@code @//host:port/service}, or a TNS descriptor. */
  private static Optional<Endpoint> oracle(String url) {
    int at = url.indexOf('@');
    if (at < 0) {
      return Optional.empty();
    }
    String rest = url.substring(at + 1).trim();
    if (rest.startsWith("(")) {
      Matcher h = ORACLE_HOST.matcher(rest);
      if (!h.find()) {
        return Optional.empty();
      }
      Matcher p = ORACLE_PORT.matcher(rest);
      return Optional.of(new Endpoint(h.group(1), p.find() ? Integer.parseInt(p.group(1)) : 1521, null, "connection.url"));
    }
    if (rest.startsWith("//")) {
      rest = rest.substring(2);
    }
    int end = indexOfAny(rest, "/?");
    String authority = end < 0 ? rest : rest.substring(0, end);
    // host:port:SID -> host:port
    String[] parts = authority.startsWith("[") ? new String[] {authority} : authority.split(":");
    if (parts.length >= 3) {
      authority = parts[0] + ":" + parts[1];
    }
    return hostPort(authority, 1521, "connection.url");
  }

  private static Optional<Endpoint> mongo(String uri, String key) {
    String lower = uri.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("mongodb://")) {
      // mongodb+srv:// names a DNS SRV record, not a host and port
      return Optional.empty();
    }
    String rest = uri.substring("mongodb://".length());
    int end = indexOfAny(rest, "/?");
    String authority = end < 0 ? rest : rest.substring(0, end);
    authority = authority.substring(authority.lastIndexOf('@') + 1).split(",")[0];
    return hostPort(authority, 27017, key);
  }

  private static Optional<Endpoint> http(String url, String key) {
    try {
      URI u = URI.create(url);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (u.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
        return Optional.empty();
      }
      int port = u.getPort() > 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
      String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
      return Optional.of(new Endpoint(host, port, url, key));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static Optional<Endpoint> hostPort(String authority, int defaultPort, String key) {
    String a = authority.trim();
    if (a.isEmpty()) {
      return Optional.empty();
    }
    String host;
    String port = null;
    if (a.startsWith("[")) {
      int close = a.indexOf(']');
      if (close < 0) {
        return Optional.empty();
      }
      host = a.substring(1, close);
      if (a.length() > close + 1 && a.charAt(close + 1) == ':') {
        port = a.substring(close + 2);
      }
    } else {
      int colon = a.lastIndexOf(':');
      host = colon < 0 ? a : a.substring(0, colon);
      port = colon < 0 ? null : a.substring(colon + 1);
    }
    Integer p = port == null || port.isEmpty() ? Integer.valueOf(defaultPort) : port(port);
    if (host.isEmpty() || p == null) {
      return Optional.empty();
    }
    return Optional.of(new Endpoint(host, p, null, key));
  }

  private static Integer defaultPort(String connectorClass) {
    String c = connectorClass.toLowerCase(Locale.ROOT);
    if (c.contains("postgres")) {
      return 5432;
    }
    if (c.contains("mysql") || c.contains("mariadb")) {
      return 3306;
    }
    if (c.contains("sqlserver")) {
      return 1433;
    }
    if (c.contains("oracle")) {
      return 1521;
    }
    if (c.contains("db2")) {
      return 50000;
    }
    return null;
  }

  private static Integer port(String s) {
    String t = trimmed(s);
    if (t == null || !t.chars().allMatch(Character::isDigit) || t.length() > 5) {
      return null;
    }
    int p = Integer.parseInt(t);
    return p >= 1 && p <= 65535 ? p : null;
  }

  private static String trimmed(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static int indexOfAny(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }
}
