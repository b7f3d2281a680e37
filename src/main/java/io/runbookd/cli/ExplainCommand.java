package io.runbookd.cli;

import io.runbookd.alert.WebhookMessage;
import io.runbookd.alert.WebhookParser;
import io.runbookd.config.ConfigException;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectApis;
import io.runbookd.connect.ConnectEndpoint;
import io.runbookd.connect.ConnectRequestListener;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.policy.AlertPolicy;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.GroupReading;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleLoadException;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code runbookd explain payload.json [rules/...]}: which rule each alert of a webhook body matches and
 * why, condition by condition. The rules are the given files and directories (as for
 * {@code check-rules}) or, without any, those of the config. The connector status comes from
 * {@code --status} (a saved {@code GET /connectors/{name}/status} body) or, by default, live from the
 * Connect clusters in the config. With rule paths and {@code --status}, no config file is needed.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = "Show which rule matches each alert of an Alertmanager webhook body, and why.")
public final class ExplainCommand implements Callable<Integer> {
  static final Path DEFAULT_CONFIG = Path.of("runbookd.yaml");

  @Option(names = {"-c", "--config"}, description = "Config file: its rules (when no rule path is given) and its Connect "
      + "clusters (for live status). Default: ./runbookd.yaml when it exists and no rule path is given.")
  Path config;

  @Option(names = "--status", description = "A saved connector status JSON to use instead of asking Connect.")
  Path status;

  @Parameters(index = "0", paramLabel = "PAYLOAD", description = "Alertmanager webhook body (JSON).")
  Path payload;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "RULES", description = "Rule files or directories "
      + "(default: the config's rules.paths).")
  List<Path> rulePaths = List.of();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = new PrintWriter(System.out, true);
    RunbookdConfig cfg = null;
    RuleSet rules;
    WebhookMessage msg;
    try {
      Path configFile = config != null ? config : rulePaths.isEmpty() && Files.exists(DEFAULT_CONFIG) ? DEFAULT_CONFIG : null;
      RuleLoader.Context ctx = RuleLoader.Context.unchecked();
      if (configFile != null) {
        cfg = ConfigLoader.load(configFile);
        ctx = new RuleLoader.Context(cfg.connectClusters().keySet(), cfg.notifiers().keySet());
      }
      List<Path> paths = !rulePaths.isEmpty() ? rulePaths
          : cfg != null ? cfg.rules().paths().stream().map(Path::of).toList() : List.of();
      if (paths.isEmpty()) {
        out.println("FAILED: no rules: give rule files or directories, or --config runbookd.yaml");
        return 1;
      }
      for (Path p : paths) {
        if (!Files.exists(p)) {
          out.println("FAILED: " + p + ": no such file or directory");
          return 1;
        }
      }
      rules = new RuleLoader(ctx, Clock.systemUTC()).load(paths);
      msg = WebhookParser.parse(Files.readAllBytes(payload));
    } catch (ConfigException | WebhookParser.InvalidWebhookException | IOException e) {
      out.println("FAILED: " + e.getMessage());
      return 1;
    } catch (RuleLoadException e) {
      out.println("FAILED: rules do not load:");
      e.errors().forEach(err -> out.println("  " + err));
      return 1;
    }
    Optional<ConnectorStatus> fixed = Optional.empty();
    if (status != null) {
      fixed = Optional.of(io.runbookd.connect.ConnectApis.parseStatus(Files.readString(status)));
    }
    RunbookdConfig liveConfig = cfg;
    Vertx vertx = cfg == null ? null : Vertx.vertx();
    io.runbookd.kafka.KafkaClusters kafka = cfg == null ? io.runbookd.kafka.KafkaClusters.none()
        : io.runbookd.kafka.KafkaClusters.create(vertx, cfg);
    try {
      Map<String, ConnectApi> apis = new HashMap<>();
      boolean anyMatch = false;
      for (WebhookMessage.Alert a : msg.alerts()) {
        out.println("alert " + a.labels().getOrDefault("alertname", "?") + " " + a.labels() + " (" + a.status() + ")");
        List<RuleEvaluator.Candidate> candidates = RuleEvaluator.candidates(rules, a.labels(),
            a.annotations() == null ? Map.of() : a.annotations());
        // What the daemon reads before deciding: the status of each candidate target, and the consumer group of
        // each target a consumer_group condition needs; then the daemon's own decision (AlertPolicy.decide).
        Map<ConnectorTarget, AlertPolicy.Lookup> lookups = new HashMap<>();
        Map<ConnectorTarget, GroupReading> groups = new HashMap<>();
        for (RuleEvaluator.Candidate c : candidates) {
          if (!c.eligible()) {
            continue;
          }
          ConnectorTarget t = c.target().orElseThrow();
          if (!lookups.containsKey(t)) {
            Optional<ConnectorStatus> st = fixed.isPresent() ? fixed : vertx == null || fixed.isPresent()
                ? Optional.empty() : live(vertx, liveConfig, apis, t, out);
            if (st.isPresent()) {
              lookups.put(t, new AlertPolicy.Lookup(st.get(), null));
            } else if (cfg == null) {
              out.println("  (no connector status: give --status FILE, or --config for live status from Connect)");
            }
          }
          if (c.rule().live().consumerGroup() != null && !groups.containsKey(t)) {
            groups.put(t, group(kafka, t));
          }
        }
        java.time.Instant now = java.time.Instant.now();
        RuleEvaluator.Evaluation ev = AlertPolicy.evaluate(candidates, lookups, groups);
        AlertPolicy.Verdict verdict = AlertPolicy.decide(now, now, candidates, lookups, groups);
        out.print(("  " + ev.explain().strip()).replace("\n", "\n  "));
        out.println();
        out.println("  daemon decision: " + AlertPolicy.name(verdict));
        anyMatch |= verdict instanceof AlertPolicy.Verdict.Open;
      }
      return anyMatch ? 0 : 2;
    } finally {
      if (vertx != null) {
        kafka.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The consumer group {@code connect-<connector>} read once through the Kafka cluster of the target's Connect
   * cluster. A one-shot read has no earlier reading: a {@code lag_growing} condition stays pending ("wait").
   */
  private static GroupReading group(io.runbookd.kafka.KafkaClusters kafka, ConnectorTarget t) {
    Optional<io.runbookd.kafka.KafkaOps> ops = kafka.forConnectCluster(t.cluster());
    if (ops.isEmpty()) {
      return GroupReading.unavailable("no Kafka cluster configured for Connect cluster \"" + t.cluster()
          + "\" (set connect_clusters." + t.cluster() + ".kafka in the config)");
    }
    try {
      return GroupReading.of(ops.get().consumerGroup("connect-" + t.connector()).toCompletionStage()
          .toCompletableFuture().get(60, TimeUnit.SECONDS), List.of());
    } catch (Exception e) {
      return GroupReading.unavailable("reading connect-" + t.connector() + " failed: "
          + (e.getCause() == null ? e : e.getCause()).getMessage());
    }
  }

  private static Optional<ConnectorStatus> live(Vertx vertx, RunbookdConfig cfg, Map<String, ConnectApi> apis, ConnectorTarget t,
      PrintWriter out) {
    RunbookdConfig.ConnectCluster c = cfg.connectClusters().get(t.cluster());
    if (c == null) {
      out.println("  (no Connect cluster \"" + t.cluster() + "\" in the config)");
      return Optional.empty();
    }
    ConnectApi api = apis.computeIfAbsent(t.cluster(), n -> ConnectApis.create(vertx, endpoint(n, c), ConnectRequestListener.NONE));
    try {
      return Optional.of(api.status(t.connector()).toCompletionStage().toCompletableFuture().get(110, TimeUnit.SECONDS));
    } catch (Exception e) {
      out.println("  (status of " + t + " unavailable: " + (e.getCause() == null ? e : e.getCause()).getMessage() + ")");
      return Optional.empty();
    }
  }

  private static ConnectEndpoint endpoint(String name, RunbookdConfig.ConnectCluster c) {
    return io.runbookd.Runbookd.endpoint(name, c);
  }
}
