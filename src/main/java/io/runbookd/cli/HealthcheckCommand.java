package io.runbookd.cli;

import io.runbookd.config.ConfigException;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.config.Secrets;
import io.runbookd.config.TlsConfig;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runbookd healthcheck --config runbookd.yaml}: asks the daemon of that config, on its own
 * listener, whether it is healthy ({@code GET /-/healthy}, or {@code /-/ready} with {@code --ready});
 * exit 0 on 200, 1 otherwise, with one line saying why. The port and TLS come from the config's
 * {@code server} section: a {@code 0.0.0.0} or {@code ::} listener is asked on loopback; with
 * {@code server.tls} it speaks HTTPS and trusts the server's own certificate file (or {@code --ca-file}),
 * which covers self-signed certificates; the host name is not checked against the certificate, as the
 * certificate is pinned. This is the Docker {@code HEALTHCHECK} of the image.
 */
@Command(name = "healthcheck", mixinStandardHelpOptions = true,
    description = "Probe the daemon of a config on /-/healthy (or /-/ready); exit 0 when it answers 200, else 1.")
public final class HealthcheckCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, defaultValue = "runbookd.yaml", description = "Config file (default: ${DEFAULT-VALUE}).")
  Path config;

  @Option(names = "--ready", description = "Probe /-/ready (store reachable, rules loaded) instead of /-/healthy.")
  boolean ready;

  @Option(names = "--ca-file", paramLabel = "PEM", description = "CA bundle that signed the server certificate "
      + "(default: server.tls.cert_file itself).")
  Path caFile;

  @Option(names = "--timeout", defaultValue = "5s", description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    RunbookdConfig cfg;
    Duration wait;
    try {
      cfg = ConfigLoader.load(config);
      wait = io.runbookd.rules.Durations.parse(timeout);
    } catch (ConfigException | IllegalArgumentException e) {
      out.println("unhealthy: invalid config: " + Secrets.redactKnown(e.getMessage()));
      return 1;
    }
    RunbookdConfig.Server server = cfg.server();
    String host = loopbackFor(server.host());
    TlsConfig tls = server.tls();
    WebClientOptions options = new WebClientOptions().setDefaultHost(host).setDefaultPort(server.port())
        .setUserAgent("runbookd-healthcheck").setConnectTimeout((int) Math.min(Integer.MAX_VALUE, wait.toMillis()));
    if (tls != null) {
      String trusted = caFile != null ? caFile.toString() : tls.certFile();
      options.setSsl(true).setVerifyHost(false).setTrustOptions(new PemTrustOptions().addCertPath(trusted));
    }
    String path = ready ? "/-/ready" : "/-/healthy";
    String url = (tls != null ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port() + path;
    Vertx vertx = Vertx.vertx();
    try {
      WebClient client = WebClient.create(vertx, options);
      HttpResponse<?> resp = client.get(path).timeout(wait.toMillis()).send()
          .toCompletionStage().toCompletableFuture().get(wait.toMillis() + 1000, TimeUnit.MILLISECONDS);
      if (resp.statusCode() == 200) {
        out.println("healthy: " + url + " answered 200");
        return 0;
      }
      out.println("unhealthy: " + url + " answered " + resp.statusCode());
      return 1;
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      out.println("unhealthy: " + url + ": " + Secrets.redactKnown(String.valueOf(cause.getMessage() == null ? cause : cause.getMessage())));
      return 1;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** The address to ask for a listener on {@code host}: loopback for a wildcard listener. */
  static String loopbackFor(String host) {
    return switch (host) {
      case "0.0.0.0", "" -> "127.0.0.1";
      case "::", "[::]" -> "::1";
      default -> host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    };
  }
}
