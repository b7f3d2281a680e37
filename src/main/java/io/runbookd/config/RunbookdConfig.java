package io.runbookd.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * runbookd.yaml, parsed strictly (an unknown key is an error) and with defaults applied.
 *
 * @param server the HTTP listener
 * @param store where state is kept (SQLite by default, PostgreSQL with a JDBC URL)
 * @param rules rule files and directories
 * @param connectClusters named Kafka Connect clusters, referenced by rules' {@code target.cluster}
 * @param notifiers named notifiers, referenced by rules' {@code notify} steps and escalations
 * @param engine timing of the incident engine
 * @param dryRun global shadow mode: record what would be done, do nothing
 * @param guards blast radius per Connect cluster: concurrency, action rate, storms, health check
 * @param log how log lines are written
 * @param kafkaClusters named Kafka clusters (bootstrap servers and client properties), referenced by
 *     {@code connect_clusters.<name>.kafka}: the cluster whose consumer groups, offsets and dead-letter
 *     topics belong to that Connect cluster
 * @param pipelines named pipelines: connectors in the order the data flows through them (source first),
 *     the order in which {@code pause}/{@code stop} with {@code pipeline: true} act on them (resume: the
 *     reverse)
 * @param alertmanagers named Alertmanagers, referenced by rules' {@code silence} steps
 */
public record RunbookdConfig(
    Server server,
    StoreConfig store,
    RulesConfig rules,
    Map<String, ConnectCluster> connectClusters,
    Map<String, Notifier> notifiers,
    Engine engine,
    boolean dryRun,
    GuardsConfig guards,
    Log log,
    Map<String, KafkaCluster> kafkaClusters,
    Map<String, List<String>> pipelines,
    Map<String, Alertmanager> alertmanagers) {

  public RunbookdConfig {
    server = server == null ? new Server(null, 0, null, null, null, null) : server;
    store = store == null ? new StoreConfig(null, null, null, null, null, 0) : store;
    rules = rules == null ? new RulesConfig(null, null) : rules;
    connectClusters = connectClusters == null ? Map.of() : Map.copyOf(connectClusters);
    notifiers = notifiers == null ? Map.of() : Map.copyOf(notifiers);
    engine = engine == null ? new Engine(null, null, null, null, null) : engine;
    guards = guards == null ? GuardsConfig.defaults() : guards;
    log = log == null ? new Log(null) : log;
    kafkaClusters = kafkaClusters == null ? Map.of() : Map.copyOf(kafkaClusters);
    pipelines = checkPipelines(pipelines);
    alertmanagers = alertmanagers == null ? Map.of() : Map.copyOf(alertmanagers);
    checkGuardNames(guards, connectClusters.keySet(), notifiers.keySet());
    for (var e : new java.util.TreeMap<>(connectClusters).entrySet()) {
      String k = e.getValue().kafka();
      if (k != null && !kafkaClusters.containsKey(k)) {
        throw new ConfigException("connect_clusters." + e.getKey() + ".kafka: undefined Kafka cluster \"" + k
            + "\" (defined in kafka_clusters: " + String.join(", ", new java.util.TreeSet<>(kafkaClusters.keySet())) + ")");
      }
    }
  }

  /** The config before the kafka_clusters section existed: no Kafka clusters, pipelines or Alertmanagers. */
  public RunbookdConfig(Server server, StoreConfig store, RulesConfig rules, Map<String, ConnectCluster> connectClusters,
      Map<String, Notifier> notifiers, Engine engine, boolean dryRun, GuardsConfig guards, Log log) {
    this(server, store, rules, connectClusters, notifiers, engine, dryRun, guards, log, null, null, null);
  }

  /** The config before the pipelines and alertmanagers sections existed. */
  public RunbookdConfig(Server server, StoreConfig store, RulesConfig rules, Map<String, ConnectCluster> connectClusters,
      Map<String, Notifier> notifiers, Engine engine, boolean dryRun, GuardsConfig guards, Log log,
      Map<String, KafkaCluster> kafkaClusters) {
    this(server, store, rules, connectClusters, notifiers, engine, dryRun, guards, log, kafkaClusters, null, null);
  }

  private static final java.util.regex.Pattern PIPELINE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

  /** {@code pipelines}: names like rule names, each a non-empty list of distinct connector names. */
  private static Map<String, List<String>> checkPipelines(Map<String, List<String>> pipelines) {
    if (pipelines == null) {
      return Map.of();
    }
    Map<String, List<String>> out = new java.util.TreeMap<>();
    for (var e : new java.util.TreeMap<>(pipelines).entrySet()) {
      String name = e.getKey();
      if (!PIPELINE_NAME.matcher(name).matches()) {
        throw new ConfigException("pipelines." + name + ": a pipeline name is letters, digits, '_', '.', '-'");
      }
      List<String> c = e.getValue();
      if (c == null || c.isEmpty()) {
        throw new ConfigException("pipelines." + name + ": list its connectors in the order the data flows, e.g."
            + " [orders-source, orders-sink]");
      }
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (String connector : c) {
        if (connector == null || connector.isBlank()) {
          throw new ConfigException("pipelines." + name + ": a connector name is empty");
        }
        if (!seen.add(connector)) {
          throw new ConfigException("pipelines." + name + ": connector " + connector + " is listed twice");
        }
      }
      out.put(name, List.copyOf(c));
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  /** The config before the guards section existed: default guards. */
  public RunbookdConfig(Server server, StoreConfig store, RulesConfig rules, Map<String, ConnectCluster> connectClusters,
      Map<String, Notifier> notifiers, Engine engine, boolean dryRun) {
    this(server, store, rules, connectClusters, notifiers, engine, dryRun, null);
  }

  /** The config before the log section existed: logfmt lines. */
  public RunbookdConfig(Server server, StoreConfig store, RulesConfig rules, Map<String, ConnectCluster> connectClusters,
      Map<String, Notifier> notifiers, Engine engine, boolean dryRun, GuardsConfig guards) {
    this(server, store, rules, connectClusters, notifiers, engine, dryRun, guards, null);
  }

  /**
   * The {@code log} section.
   *
   * @param format {@code logfmt} (default: {@code key=value} pairs, escaped) or {@code json} (one flat JSON
   *     object per line, logstash-logback-encoder); the incident, rule, cluster and connector are fields in both
   */
  public record Log(String format) {
    public Log {
      format = format == null ? "logfmt" : format;
      if (!format.equals("logfmt") && !format.equals("json")) {
        throw new ConfigException("log.format: \"" + format + "\" is not logfmt or json");
      }
    }
  }

  private static void checkGuardNames(GuardsConfig g, java.util.Set<String> clusters, java.util.Set<String> notifiers) {
    for (String c : new java.util.TreeSet<>(g.clusters().keySet())) {
      if (!clusters.contains(c)) {
        throw new ConfigException("guards.clusters." + c + ": undefined Connect cluster \"" + c + "\" (defined: "
            + String.join(", ", new java.util.TreeSet<>(clusters)) + ")");
      }
    }
    java.util.Map<String, GuardsConfig.Storm> storms = new java.util.TreeMap<>();
    if (g.storm() != null) {
      storms.put("guards.storm.notify", g.storm());
    }
    g.clusters().forEach((c, o) -> {
      if (o.storm() != null) {
        storms.put("guards.clusters." + c + ".storm.notify", o.storm());
      }
    });
    storms.forEach((where, s) -> {
      if (s.notifier() != null && !notifiers.contains(s.notifier())) {
        throw new ConfigException(where + ": undefined notifier \"" + s.notifier() + "\" (defined: "
            + String.join(", ", new java.util.TreeSet<>(notifiers)) + ")");
      }
    });
  }

  /**
   * @param listen {@code host:port}; default {@code 0.0.0.0:9095}
   * @param maxBodyBytes webhook body limit in bytes; default 4 MiB; larger bodies get 413
   * @param auth credentials per endpoint scope; default none (every endpoint open, with a warning)
   * @param tls HTTPS on the same listener; default none (plain HTTP)
   * @param shutdownTimeout the longest a graceful stop (SIGTERM) may take: webhooks get 503 at once,
   *     running remediations get this long to finish before their claims are handed back; default 30s,
   *     at least 1s
   * @param externalUrl the URL operators reach runbookd at (e.g. {@code https://runbookd.example.com}), without
   *     a trailing slash; every notification links to {@code {external_url}/ui/incidents/{id}}; default none
   *     (no link)
   */
  public record Server(String listen, long maxBodyBytes, AuthConfig auth, TlsConfig tls, Duration shutdownTimeout,
      String externalUrl) {
    public Server {
      externalUrl = externalUrl == null || externalUrl.isBlank() ? null : externalUrl.strip();
      if (externalUrl != null) {
        try {
          java.net.URI u = new java.net.URI(externalUrl);
          if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
            throw new java.net.URISyntaxException(externalUrl, "not an absolute http(s) URL");
          }
        } catch (java.net.URISyntaxException e) {
          throw new ConfigException("server.external_url: \"" + externalUrl + "\" is not an absolute http(s) URL");
        }
        while (externalUrl.endsWith("/")) {
          externalUrl = externalUrl.substring(0, externalUrl.length() - 1);
        }
      }
      listen = listen == null || listen.isBlank() ? "0.0.0.0:9095" : listen;
      maxBodyBytes = maxBodyBytes <= 0 ? 4L * 1024 * 1024 : maxBodyBytes;
      auth = auth == null ? AuthConfig.NONE : auth;
      shutdownTimeout = shutdownTimeout == null ? Duration.ofSeconds(30) : shutdownTimeout;
      if (shutdownTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new ConfigException("server.shutdown_timeout must be at least 1s, got " + shutdownTimeout);
      }
    }

    /** A listener without an external URL. */
    public Server(String listen, long maxBodyBytes, AuthConfig auth, TlsConfig tls, Duration shutdownTimeout) {
      this(listen, maxBodyBytes, auth, tls, shutdownTimeout, null);
    }

    /** A listener with the default shutdown timeout. */
    public Server(String listen, long maxBodyBytes, AuthConfig auth, TlsConfig tls) {
      this(listen, maxBodyBytes, auth, tls, null);
    }

    /** A listener without authentication or TLS. */
    public Server(String listen, long maxBodyBytes) {
      this(listen, maxBodyBytes, null, null, null);
    }

    /** The host part of {@link #listen()}. */
    public String host() {
      int i = listen.lastIndexOf(':');
      return i <= 0 ? "0.0.0.0" : listen.substring(0, i);
    }

    /** The port part of {@link #listen()}; 0 picks a free port. */
    public int port() {
      int i = listen.lastIndexOf(':');
      try {
        return Integer.parseInt(listen.substring(i + 1));
      } catch (NumberFormatException e) {
        throw new ConfigException("server.listen: \"" + listen + "\" is not host:port");
      }
    }
  }

  /**
   * @param dataDir directory of the SQLite file; default {@code ./data}
   * @param jdbcUrl a {@code jdbc:postgresql://...} URL; empty means SQLite
   * @param username database user
   * @param password database password ({@code ${env:VAR}} allowed)
   * @param passwordFile file holding the password
   * @param maxPoolSize connection pool size; default 8 (SQLite always uses one writer)
   */
  public record StoreConfig(
      String dataDir, String jdbcUrl, String username, Secret password, String passwordFile, int maxPoolSize) {
    public StoreConfig {
      dataDir = dataDir == null || dataDir.isBlank() ? "./data" : dataDir;
      jdbcUrl = jdbcUrl == null || jdbcUrl.isBlank() ? null : jdbcUrl;
      maxPoolSize = maxPoolSize <= 0 ? 8 : maxPoolSize;
      if (password == null && passwordFile != null) {
        password = Secret.fromFile(java.nio.file.Path.of(passwordFile), "store.password_file");
      }
    }

    @Override
    public String toString() {
      return "StoreConfig[dataDir=" + dataDir + ", jdbcUrl=" + Redact.url(jdbcUrl) + ", username=" + username
          + ", password=" + password + ", passwordFile=" + passwordFile + ", maxPoolSize=" + maxPoolSize + "]";
    }
  }

  /**
   * @param paths rule files or directories; default {@code [rules/]}
   * @param watchInterval how often the rule files are checked for changes; a change is applied once
   *     the files have been unchanged for one whole interval. Default 5s; {@code 0s} turns watching off
   *     (SIGHUP and {@code POST /-/reload} still reload)
   */
  public record RulesConfig(List<String> paths, Duration watchInterval) {
    public RulesConfig {
      paths = paths == null || paths.isEmpty() ? List.of("rules") : List.copyOf(paths);
      watchInterval = watchInterval == null ? Duration.ofSeconds(5) : watchInterval;
      if (watchInterval.isNegative()) {
        throw new ConfigException("rules.watch_interval must not be negative");
      }
    }

    /** Rules from {@code paths}, watched at the default interval. */
    public RulesConfig(List<String> paths) {
      this(paths, null);
    }
  }

  /**
   * A Kafka Connect cluster.
   *
   * @param url base URL of any worker's REST API, e.g. {@code http://connect:8083}; user info in it
   *     ({@code http://user:password@connect:8083}) is taken out of it and used as {@code username} and
   *     {@code password} unless those are set (then they win)
   * @param username basic-auth user (Connect's BasicAuthSecurityRestExtension)
   * @param password basic-auth password
   * @param passwordFile file holding the password
   * @param caFile PEM CA bundle for an https URL
   * @param insecureSkipVerify trust any certificate (tests only)
   * @param requestTimeout HTTP timeout; default 100s, above Connect's own 90 s
   */
  public record ConnectCluster(
      String url,
      String username,
      Secret password,
      String passwordFile,
      String caFile,
      boolean insecureSkipVerify,
      Duration requestTimeout,
      String kafka) {
    /** A Connect cluster with no Kafka cluster named: the Kafka-side steps and conditions are unavailable. */
    public ConnectCluster(String url, String username, Secret password, String passwordFile, String caFile,
        boolean insecureSkipVerify, Duration requestTimeout) {
      this(url, username, password, passwordFile, caFile, insecureSkipVerify, requestTimeout, null);
    }

    public ConnectCluster {
      if (url == null || url.isBlank()) {
        throw new ConfigException("connect_clusters: url is required");
      }
      UserInfo info = UserInfo.split(url);
      if (info != null) {
        url = info.url();
        if (username == null && password == null && passwordFile == null) {
          username = info.username();
          password = info.password();
        }
      }
      if (password == null && passwordFile != null) {
        password = Secret.fromFile(java.nio.file.Path.of(passwordFile), "connect_clusters.password_file");
      }
      requestTimeout = requestTimeout == null ? Duration.ofSeconds(100) : requestTimeout;
    }

    @Override
    public String toString() {
      return "ConnectCluster[url=" + Redact.url(url) + ", username=" + username + ", password=" + password
          + ", passwordFile=" + passwordFile + ", caFile=" + caFile + ", insecureSkipVerify=" + insecureSkipVerify
          + ", requestTimeout=" + requestTimeout + ", kafka=" + kafka + "]";
    }
  }

  /**
   * {@code kafka_clusters.<name>}: how runbookd reaches a Kafka cluster with the Kafka clients (an
   * AdminClient for consumer groups and offsets, a consumer and a producer for dead-letter replay).
   *
   * @param bootstrapServers {@code host:port[,host:port...]}; required
   * @param properties client properties passed as they are ({@code security.protocol}, {@code sasl.mechanism},
   *     {@code sasl.jaas.config}, {@code ssl.truststore.location}, ...); a value may be {@code ${env:VAR}}
   * @param propertyFiles client properties whose value is read from a file ({@code sasl.jaas.config:
   *     /run/secrets/kafka-jaas}); a key may not be in both maps
   * @param requestTimeout the bound of every Kafka call runbookd makes (default 30s); a call that takes
   *     longer fails with a timeout error
   */
  public record KafkaCluster(
      String bootstrapServers,
      Map<String, Secret> properties,
      Map<String, String> propertyFiles,
      Duration requestTimeout) {
    /** Key fragments whose values are never printed. */
    private static final List<String> SENSITIVE = List.of("password", "jaas", "secret", "credential", "token",
        "user.info", "ssl.key", "keystore.key");

    public KafkaCluster {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new ConfigException("kafka_clusters: bootstrap_servers is required");
      }
      Map<String, Secret> all = new java.util.TreeMap<>(properties == null ? Map.of() : properties);
      propertyFiles = propertyFiles == null ? Map.of() : Map.copyOf(propertyFiles);
      for (var e : new java.util.TreeMap<>(propertyFiles).entrySet()) {
        if (all.containsKey(e.getKey())) {
          throw new ConfigException("kafka_clusters: " + e.getKey() + " is set in both properties and property_files");
        }
        all.put(e.getKey(), Secret.fromFile(java.nio.file.Path.of(e.getValue()), "kafka_clusters.property_files."
            + e.getKey()));
      }
      if (all.containsKey("bootstrap.servers")) {
        throw new ConfigException("kafka_clusters: set bootstrap_servers, not properties.bootstrap.servers");
      }
      properties = java.util.Collections.unmodifiableMap(all);
      requestTimeout = requestTimeout == null ? Duration.ofSeconds(30) : requestTimeout;
      if (requestTimeout.isZero() || requestTimeout.isNegative()) {
        throw new ConfigException("kafka_clusters: request_timeout must be positive");
      }
    }

    /** The client properties with their values, bootstrap servers included. Never log the result. */
    public Map<String, String> clientProperties() {
      Map<String, String> out = new java.util.TreeMap<>();
      properties.forEach((k, v) -> out.put(k, v.reveal()));
      out.put("bootstrap.servers", bootstrapServers);
      return out;
    }

    /** True when the value of client property {@code key} is never printed. */
    public boolean sensitive(String key) {
      if (propertyFiles.containsKey(key)) {
        return true;
      }
      String k = key.toLowerCase(java.util.Locale.ROOT);
      return SENSITIVE.stream().anyMatch(k::contains);
    }

    @Override
    public String toString() {
      Map<String, String> shown = new java.util.TreeMap<>();
      properties.forEach((k, v) -> shown.put(k, sensitive(k) ? "<redacted>" : v.reveal()));
      return "KafkaCluster[bootstrapServers=" + bootstrapServers + ", properties=" + shown + ", requestTimeout="
          + requestTimeout + "]";
    }
  }

  /**
   * {@code alertmanagers.<name>}: an Alertmanager whose API v2 the {@code silence} step calls
   * ({@code POST /api/v2/silences}, {@code DELETE /api/v2/silence/{id}}; prometheus/alertmanager
   * {@code api/v2/openapi.yaml}). Basic or bearer auth, as Alertmanager's own {@code http_config} offers
   * them; every secret may be {@code ${env:VAR}} or read from its {@code *_file}.
   *
   * @param url base URL, e.g. {@code http://alertmanager:9093} (the API paths are appended); required
   * @param username basic-auth user; with {@code password} or {@code password_file}
   * @param password basic-auth password
   * @param passwordFile file holding the basic-auth password
   * @param bearerToken bearer token ({@code Authorization: Bearer ...}); not with basic auth
   * @param bearerTokenFile file holding the bearer token
   * @param timeout bound of every call; default 10s
   */
  public record Alertmanager(
      String url,
      String username,
      Secret password,
      String passwordFile,
      Secret bearerToken,
      String bearerTokenFile,
      Duration timeout) {
    public Alertmanager {
      if (url == null || url.isBlank()) {
        throw new ConfigException("alertmanagers: url is required");
      }
      if (!url.strip().matches("(?i)https?://.+")) {
        throw new ConfigException("alertmanagers: url must be an http(s) URL, got \"" + Redact.MASK + "\"");
      }
      url = url.strip().replaceAll("/+$", "");
      if (password == null && passwordFile != null) {
        password = Secret.fromFile(java.nio.file.Path.of(passwordFile), "alertmanagers.password_file");
      }
      if (bearerToken == null && bearerTokenFile != null) {
        bearerToken = Secret.fromFile(java.nio.file.Path.of(bearerTokenFile), "alertmanagers.bearer_token_file");
      }
      if ((username == null) != (password == null)) {
        throw new ConfigException("alertmanagers: basic auth needs both username and password (or password_file)");
      }
      if (username != null && bearerToken != null) {
        throw new ConfigException("alertmanagers: use basic auth (username, password) or bearer_token, not both");
      }
      timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
      if (timeout.isZero() || timeout.isNegative()) {
        throw new ConfigException("alertmanagers: timeout must be positive");
      }
    }

    /** The value of the {@code Authorization} header, or null without auth. Never log it. */
    public String authorization() {
      if (bearerToken != null) {
        return "Bearer " + bearerToken.reveal();
      }
      if (username != null) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((username + ":" + password.reveal())
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return null;
    }

    @Override
    public String toString() {
      return "Alertmanager[url=" + url + ", username=" + username + ", password=" + password + ", passwordFile="
          + passwordFile + ", bearerToken=" + bearerToken + ", bearerTokenFile=" + bearerTokenFile + ", timeout="
          + timeout + "]";
    }
  }

  /**
   * The user info of an {@code http(s)://user:password@host...} URL, taken out of it: {@code url} is the
   * URL without it, the user and password are percent-decoded (RFC 3986 section 3.2.1).
   */
  record UserInfo(String url, String username, Secret password) {
    private static final java.util.regex.Pattern WITH_USER_INFO =
        java.util.regex.Pattern.compile("(?s)^(\\s*[A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)@(.*)$");

    /** The user info of {@code url} taken out, or null when it has none. Messages never quote the URL. */
    static UserInfo split(String url) {
      java.util.regex.Matcher m = WITH_USER_INFO.matcher(url);
      if (!m.matches()) {
        return null;
      }
      String info = m.group(2);
      int colon = info.indexOf(':');
      String user = decode(colon < 0 ? info : info.substring(0, colon));
      String password = colon < 0 ? "" : decode(info.substring(colon + 1));
      if (user.isEmpty()) {
        throw new ConfigException("connect_clusters: the user info of url has no user name");
      }
      // The text as written is a secret too (it may be quoted before or without decoding).
      Secrets.remember(new Secrets(java.util.List.of(info, password, colon < 0 ? "" : info.substring(colon + 1))));
      return new UserInfo(m.group(1) + m.group(3), user, Secret.of(password));
    }

    private static String decode(String s) {
      try {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("connect_clusters: the user info of url has an invalid percent-encoding");
      }
    }
  }

  /** RFC 9110 field-name: a token. */
  private static final java.util.regex.Pattern HEADER_NAME = java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /**
   * A notifier.
   *
   * @param type {@code webhook} (generic JSON), {@code slack} (a Slack incoming webhook, or with {@code token}
   *     Slack's chat.postMessage) or {@code pagerduty} (Events API v2)
   * @param url endpoint URL (a secret: Slack URLs embed a token)
   * @param urlFile file holding the URL
   * @param routingKey PagerDuty integration key
   * @param routingKeyFile file holding the routing key
   * @param headers extra HTTP headers for {@code webhook}
   * @param timeout HTTP timeout; default 10s
   * @param token Slack bot token ({@code xoxb-...}) with the {@code chat:write} scope: messages go through
   *     chat.postMessage (https://docs.slack.dev/reference/methods/chat.postMessage), which answers with the
   *     message's {@code ts}, so the incident's follow-up replies in its thread; requires {@code channel}.
   *     Without it, {@code url} is an incoming webhook, which answers no ts: follow-ups are new messages
   * @param tokenFile file holding the token
   * @param channel Slack channel ID or name for chat.postMessage
   */
  public record Notifier(
      String type,
      Secret url,
      String urlFile,
      Secret routingKey,
      String routingKeyFile,
      Map<String, String> headers,
      Duration timeout,
      Secret token,
      String tokenFile,
      String channel) {
    /** A notifier without a Slack bot token. */
    public Notifier(String type, Secret url, String urlFile, Secret routingKey, String routingKeyFile,
        Map<String, String> headers, Duration timeout) {
      this(type, url, urlFile, routingKey, routingKeyFile, headers, timeout, null, null, null);
    }

    public Notifier {
      type = type == null ? "webhook" : type;
      if (!List.of("webhook", "slack", "pagerduty").contains(type)) {
        throw new ConfigException("notifiers: unknown type \"" + type + "\" (use webhook, slack or pagerduty)");
      }
      if (url == null && urlFile != null) {
        url = Secret.fromFile(java.nio.file.Path.of(urlFile), "notifiers.url_file");
      }
      if (routingKey == null && routingKeyFile != null) {
        routingKey = Secret.fromFile(java.nio.file.Path.of(routingKeyFile), "notifiers.routing_key_file");
      }
      if (token == null && tokenFile != null) {
        token = Secret.fromFile(java.nio.file.Path.of(tokenFile), "notifiers.token_file");
      }
      if (token != null && !"slack".equals(type)) {
        throw new ConfigException("notifiers: token is only for type slack (chat.postMessage)");
      }
      if (token != null && (channel == null || channel.isBlank())) {
        throw new ConfigException("notifiers: a slack notifier with a token needs channel (the channel to post in)");
      }
      if (url == null && !"pagerduty".equals(type) && token == null) {
        throw new ConfigException("notifiers: url or url_file is required for type " + type);
      }
      headers = headers == null ? Map.of() : Map.copyOf(headers);
      headers.forEach((k, v) -> {
        if (!HEADER_NAME.matcher(k).matches()) {
          throw new ConfigException("notifiers: invalid header name \"" + k.replaceAll("[\\r\\n]", "?") + "\"");
        }
        if (v == null || v.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
          throw new ConfigException("notifiers: header " + k + ": the value must not be empty or contain CR, LF or NUL");
        }
      });
      timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
    }

    /** Header values often carry credentials: only their names are printed. */
    @Override
    public String toString() {
      return "Notifier[type=" + type + ", url=" + url + ", urlFile=" + urlFile + ", routingKey=" + routingKey
          + ", routingKeyFile=" + routingKeyFile + ", headers=" + headers.keySet() + " (values " + Redact.MASK + ")"
          + ", timeout=" + timeout + ", token=" + token + ", tokenFile=" + tokenFile + ", channel=" + channel + "]";
    }
  }

  /**
   * Timing of the incident engine.
   *
   * @param tick how often due work (alerts, incidents, escalations) is polled from the store; default 1s
   * @param pollInterval how often Connect status is polled while verifying; default 2s
   * @param lease how long a replica holds an incident or escalation without renewing; default 60s
   * @param retention closed incidents older than this are pruned; default 30d
   * @param verifyOnResolve how long a resolved alert waits before its verification; default 0s
   * @param instanceId this replica's stable identity, under which it holds leases and claims, so that
   *     when it starts again it takes back at once what its previous run held; {@code ${env:VAR}}
   *     allowed; 1 to 64 of {@code A-Z a-z 0-9 . _ : @ -}. Replicas sharing one PostgreSQL must each have
   *     their own. Default: kept in {@code <store.data_dir>/instance-id} (see {@link InstanceIdentity})
   * @param alertClaimLease how long a received alert stays claimed by the replica processing it (also
   *     how soon an alert deferred because Connect did not answer is tried again); default 60s
   * @param escalationClaimLease how long an escalation or a storm summary stays claimed while it is
   *     being sent (a failed delivery is retried when the claim expires); default 30s
   * @param alertConcurrency alert events processed at once, each for a different connector (alerts of one
   *     connector are processed one after another, in arrival order); default 32
   * @param alertWindow claimed alert events held in memory at most, waiting for their connector's turn;
   *     default 10000
   * @param matchThreads threads that run rule matching (label matchers, target templates, trace patterns)
   *     and nothing else; default 2
   * @param alertStoreThreads threads that run the store calls of alert processing, apart from the workers
   *     of webhook commits and remediations; default 2
   * @param remediationConcurrency incidents this replica handles at once (each for a different connector);
   *     0 (the default) means the sum of {@code guards.max_concurrent_remediations} over the configured
   *     Connect clusters (see {@code Runbookd}), so the cluster guards, not this replica, are the limit
   */
  public record Engine(Duration tick, Duration pollInterval, Duration lease, Duration retention, Duration verifyOnResolve,
      String instanceId, Duration alertClaimLease, Duration escalationClaimLease, int alertConcurrency, int alertWindow,
      int matchThreads, int alertStoreThreads, int remediationConcurrency) {
    public Engine {
      tick = tick == null ? Duration.ofSeconds(1) : tick;
      pollInterval = pollInterval == null ? Duration.ofSeconds(2) : pollInterval;
      lease = lease == null ? Duration.ofSeconds(60) : lease;
      retention = retention == null ? Duration.ofDays(30) : retention;
      verifyOnResolve = verifyOnResolve == null ? Duration.ZERO : verifyOnResolve;
      instanceId = instanceId == null || instanceId.isBlank() ? null : InstanceIdentity.check(
          Secret.resolve(instanceId.strip(), "engine.instance_id").reveal(), "engine.instance_id");
      alertClaimLease = positive(alertClaimLease, Duration.ofSeconds(60), "engine.alert_claim_lease");
      escalationClaimLease = positive(escalationClaimLease, Duration.ofSeconds(30), "engine.escalation_claim_lease");
      if (alertConcurrency < 0 || alertWindow < 0 || matchThreads < 0 || alertStoreThreads < 0) {
        throw new ConfigException(
            "engine: alert_concurrency, alert_window, match_threads and alert_store_threads must not be negative");
      }
      if (remediationConcurrency < 0) {
        throw new ConfigException("engine.remediation_concurrency must not be negative, got " + remediationConcurrency);
      }
      alertConcurrency = alertConcurrency == 0 ? 32 : alertConcurrency;
      alertWindow = alertWindow == 0 ? 10_000 : Math.max(alertWindow, alertConcurrency);
      matchThreads = matchThreads == 0 ? 2 : matchThreads;
      alertStoreThreads = alertStoreThreads == 0 ? 2 : alertStoreThreads;
    }

    /** Engine timing with a stored instance identity, the default claim leases and alert processing. */
    public Engine(Duration tick, Duration pollInterval, Duration lease, Duration retention, Duration verifyOnResolve) {
      this(tick, pollInterval, lease, retention, verifyOnResolve, null, null, null, 0, 0, 0, 0, 0);
    }

    private static Duration positive(Duration d, Duration dflt, String key) {
      if (d == null) {
        return dflt;
      }
      if (d.isZero() || d.isNegative()) {
        throw new ConfigException(key + " must be positive, got " + d);
      }
      return d;
    }
  }
}
