package io.runbookd;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.ConfigException;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.config.Secrets;
import io.runbookd.rules.RuleLoadException;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code runbookd} command line. */
@Command(name = "runbookd", mixinStandardHelpOptions = true, version = "runbookd 0.1.0",
    description = "Runs Kafka Connect runbooks when Alertmanager fires.",
    subcommands = {Main.Run.class, Main.CheckRules.class, io.runbookd.cli.TestRulesCommand.class, io.runbookd.cli.ExplainCommand.class,
        io.runbookd.cli.HealthcheckCommand.class})
public final class Main implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** {@code runbookd run --config runbookd.yaml}. */
  @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the daemon.")
  static final class Run implements java.util.concurrent.Callable<Integer> {
    @Option(names = {"-c", "--config"}, defaultValue = "runbookd.yaml", description = "Config file (default: ${DEFAULT-VALUE}).")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
      RunbookdConfig cfg;
      try {
        cfg = ConfigLoader.load(config);
      } catch (ConfigException e) {
        System.err.println("runbookd: invalid config: " + Secrets.redactKnown(e.getMessage()));
        return 1;
      }
      io.runbookd.logging.LogFormat.apply(cfg.log().format());
      Runbookd daemon;
      try {
        daemon = Runbookd.start(cfg, Clock.systemUTC(), PrometheusRegistry.defaultRegistry, true)
            .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("runbookd: failed to start: " + startFailure(e));
        return 1;
      }
      Signals.onHangup(() -> daemon.reloadRules("sighup"));
      Duration timeout = cfg.server().shutdownTimeout();
      CountDownLatch stopped = new CountDownLatch(1);
      AtomicInteger terms = new AtomicInteger();
      Signals.onTerminate(() -> {
        if (terms.incrementAndGet() > 1) {
          LOG.warn("msg=\"second stop signal: exiting at once; claims not handed back yet are taken back when this"
              + " instance starts again\"");
          Runtime.getRuntime().halt(143);
        }
        Thread stopper = new Thread(() -> {
          awaitStop(daemon, timeout);
          stopped.countDown();
        }, "runbookd-stop");
        stopper.start();
      });
      // Without the signal handlers (or on System.exit elsewhere), stop from a shutdown hook; after a
      // graceful stop this returns at once.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> awaitStop(daemon, timeout), "runbookd-shutdown"));
      stopped.await();
      return 0;
    }

    /** Stops the daemon; waits a little longer than its own bound for Vert.x and the store to close. */
    private static void awaitStop(Runbookd daemon, Duration timeout) {
      try {
        daemon.stop().toCompletionStage().toCompletableFuture().get(timeout.toMillis() + 15_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("msg=\"stop did not complete: {}\"", e.toString());
      }
    }
  }

  /**
   * The reason of a failed start, for the one line {@code runbookd: failed to start: <reason>}: the
   * cause's message, with every configured secret masked (a driver or client may quote a URL with its
   * password).
   */
  static String startFailure(Throwable e) {
    Throwable cause = e.getCause() == null ? e : e.getCause();
    return Secrets.redactKnown(cause.getMessage() == null ? cause.toString() : cause.getMessage());
  }

  /** {@code runbookd check-rules [--config runbookd.yaml] rules/...}, like {@code amtool check-config}. */
  @Command(name = "check-rules", mixinStandardHelpOptions = true, description = "Validate rule files; prints SUCCESS or FAILED per file.")
  static final class CheckRules implements java.util.concurrent.Callable<Integer> {
    @Option(names = {"-c", "--config"}, description = "runbookd.yaml whose connect_clusters and notifiers the rules may name; without it those names are not checked.")
    Path config;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Rule files or directories.")
    List<Path> paths;

    @Override
    public Integer call() {
      PrintWriter out = new PrintWriter(System.out, true);
      RuleLoader.Context ctx = RuleLoader.Context.unchecked();
      if (config != null) {
        try {
          RunbookdConfig cfg = ConfigLoader.load(config);
          ctx = new RuleLoader.Context(cfg.connectClusters().keySet(), cfg.notifiers().keySet());
        } catch (ConfigException e) {
          out.println("FAILED: " + e.getMessage());
          return 1;
        }
      }
      boolean ok = true;
      for (Path p : paths) {
        out.println("Checking '" + p + "'");
        if (!Files.exists(p)) {
          out.println("  FAILED: no such file or directory");
          ok = false;
          continue;
        }
        try {
          RuleSet set = new RuleLoader(ctx, Clock.systemUTC()).load(List.of(p));
          out.println("  SUCCESS: " + set.rules().size() + " rules found");
        } catch (RuleLoadException e) {
          ok = false;
          out.println("  FAILED:");
          e.errors().forEach(err -> out.println("    " + err));
        }
      }
      return ok ? 0 : 1;
    }
  }
}
