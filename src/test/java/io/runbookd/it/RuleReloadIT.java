package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload of the rules on file change and on {@code POST /-/reload}: a good change becomes active,
 * a broken file keeps the last good set, logs file:line and counts a failure (once, not at every check).
 */
class RuleReloadIT {
  static final String RULE = "  - name: %s\n    match:\n      alert: ['alertname=\"%s\"']\n    target:\n"
      + "      connector: '{{ labels.connector }}'\n    steps:\n      - restart: {}\n";

  /** How long a reload (by file change, SIGHUP or POST /-/reload) may take to show. */
  static final Duration RELOAD = Duration.ofSeconds(15);

  @TempDir
  Path tmp;

  static String rules(String... names) {
    StringBuilder out = new StringBuilder("rules:\n");
    for (String n : names) {
      out.append(String.format(RULE, n, n));
    }
    return out.toString();
  }

  static List<String> active(Daemon d) throws Exception {
    JsonArray rules = new JsonObject(d.get("/api/v1/rules").body()).getJsonArray("rules");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      names.add(rules.getJsonObject(i).getString("name"));
    }
    return names;
  }

  static double reloads(Daemon d, String outcome) throws Exception {
    return d.metric("runbookd_rules_reload_total", Map.of("outcome", outcome)).orElse(0.0);
  }

  /**
   * Sets {@code file}'s access time to 1970 and waits until something reads it: the file system (with
   * {@code relatime}, Linux's default, or {@code strictatime}) then sets the access time to now. The
   * content, and so the rule watcher's fingerprint, does not change.
   */
  static void awaitRead(Path file) throws Exception {
    FileTime longAgo = FileTime.from(Instant.EPOCH);
    Files.getFileAttributeView(file, BasicFileAttributeView.class).setTimes(null, longAgo, null);
    Await.until("the rule watcher to read " + file + " again (its access time to move on from 1970; a file"
        + " system mounted noatime never moves it)", RELOAD,
        () -> Files.readAttributes(file, BasicFileAttributes.class).lastAccessTime().compareTo(longAgo) > 0);
  }

  @Test
  void aChangedFileIsReloadedAndABrokenOneKeepsTheLastGoodRules() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("rules"));
    Path a = Files.writeString(dir.resolve("10-a.yaml"), rules("first"));
    try (LogCapture logs = new LogCapture("io.runbookd.engine.ActiveRules");
        Daemon d = Daemon.start("rules: { paths: ['" + dir + "'], watch_interval: 100ms }\n", tmp.resolve("data"))) {
      assertThat(active(d)).containsExactly("first");
      assertThat(reloads(d, "success")).isEqualTo(1.0);

      Files.writeString(a, rules("first", "second"));
      Await.until("the edited file to be active", RELOAD, () -> active(d).equals(List.of("first", "second")));
      assertThat(reloads(d, "success")).isEqualTo(2.0);

      Files.writeString(dir.resolve("20-b.yaml"), "rules:\n  - name: broken\n    mach: {}\n");
      Await.until("the failed reload to be counted", RELOAD, () -> reloads(d, "failure") == 1.0);
      assertThat(active(d)).as("the last good rules stay").containsExactly("first", "second");
      assertThat(logs.lines()).anySatisfy(line -> assertThat(line)
          .contains("trigger=file_change")
          // the message as logfmt writes it: its quotes escaped
          .contains("keeping the last good rules: " + dir.resolve("20-b.yaml") + ":3: rule \\\"broken\\\": unknown key \\\"mach\\\""));

      // Let the watcher check the unchanged files three more times (each check reads them), then count.
      for (int check = 0; check < 3; check++) {
        awaitRead(dir.resolve("20-b.yaml"));
      }
      assertThat(reloads(d, "failure")).as("a broken file is tried once, not at every check").isEqualTo(1.0);

      HttpResponse<String> manual = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(d.url() + "/-/reload"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(manual.statusCode()).isEqualTo(500);
      assertThat(new JsonObject(manual.body()).getString("message"))
          .startsWith("failed to reload rules; the last good rules stay active: ")
          .contains(dir.resolve("20-b.yaml") + ":3:");
      assertThat(reloads(d, "failure")).isEqualTo(2.0);

      Files.writeString(dir.resolve("20-b.yaml"), rules("third"));
      Await.until("the fixed file to be active", RELOAD, () -> active(d).equals(List.of("first", "second", "third")));
      assertThat(d.metric("runbookd_rules_loaded", Map.of())).contains(3.0);
    }
  }
}
