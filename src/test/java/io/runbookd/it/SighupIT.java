package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.runbookd.testkit.Await;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runbookd run} as its own process: SIGHUP reloads the rules (instead of the JVM's default,
 * which is to exit), a broken file keeps the last good rules, and the daemon keeps serving.
 */
class SighupIT {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final Pattern LISTEN = Pattern.compile("listen=127\\.0\\.0\\.1:(\\d+) ");

  @TempDir
  Path tmp;

  @Test
  void sighupReloadsTheRules() throws Exception {
    assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux") || System.getProperty("os.name").toLowerCase().contains("mac"),
        "needs kill -HUP");
    Path rules = Files.createDirectories(tmp.resolve("rules"));
    Path file = Files.writeString(rules.resolve("10-a.yaml"), RuleReloadIT.rules("first"));
    Path config = Files.writeString(tmp.resolve("runbookd.yaml"), "server: { listen: '127.0.0.1:0' }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "rules: { paths: ['" + rules + "'], watch_interval: 0s }\n");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.runbookd.Main", "run", "--config", config.toString())
        .redirectErrorStream(true).start();
    List<String> output = new CopyOnWriteArrayList<>();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          output.add(line);
          Matcher m = LISTEN.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (java.io.IOException ignored) {
        // the process ended
      }
      port.completeExceptionally(new AssertionError("runbookd exited before listening: " + output));
    }, "runbookd-output");
    reader.start();
    try {
      String base = "http://127.0.0.1:" + port.get(60, TimeUnit.SECONDS);
      assertThat(reloads(base, "success")).isEqualTo(1.0);

      Files.writeString(file, RuleReloadIT.rules("first", "second"));
      hangup(p);
      Await.until("SIGHUP to reload", RuleReloadIT.RELOAD, () -> reloads(base, "success") == 2.0);
      assertThat(p.isAlive()).as("SIGHUP must not stop the daemon").isTrue();

      Files.writeString(file, "rules:\n  - name: broken\n    mach: {}\n");
      hangup(p);
      Await.until("the failed reload", RuleReloadIT.RELOAD, () -> reloads(base, "failure") == 1.0);
      assertThat(p.isAlive()).isTrue();
      assertThat(get(base + "/-/healthy").statusCode()).isEqualTo(200);
      assertThat(output).anySatisfy(l -> assertThat(l).contains("trigger=sighup").contains(file + ":3:"));
    } finally {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  static void hangup(Process p) throws Exception {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }

  static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static double reloads(String base, String outcome) throws Exception {
    Matcher m = Pattern.compile("^runbookd_rules_reload_total\\{outcome=\"" + outcome + "\"} (\\S+)$", Pattern.MULTILINE)
        .matcher(get(base + "/metrics").body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
  }
}
