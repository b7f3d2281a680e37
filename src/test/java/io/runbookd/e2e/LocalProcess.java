package io.runbookd.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A process this test (or the demo) started: its output goes to a log file, {@link #close()} stops it
 * (SIGTERM, then SIGKILL after a grace period) together with any children it started, and {@link
 * #awaitHttpOk} waits for its readiness endpoint while failing fast, with the log's tail, if it dies.
 */
final class LocalProcess implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Duration GRACE = Duration.ofSeconds(15);

  private final String name;
  private final Process process;
  private final Path log;

  private LocalProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code command} with stdout and stderr appended to {@code log}. The process's stdin stays a
   * pipe to this JVM, so a child that watches it (like {@link ConnectProcess}) ends when this JVM dies.
   *
   * @param onStart called with the new process's pid (the demo records it for its shell trap)
   */
  static LocalProcess start(String name, List<String> command, Path workDir, Path log, Consumer<Long> onStart)
      throws IOException {
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process p = pb.start();
    onStart.accept(p.pid());
    return new LocalProcess(name, p, log);
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Polls {@code url} every 100 ms until it answers 200.
   *
   * @throws IllegalStateException when the process exits first or {@code timeout} passes, with the log's tail
   */
  void awaitHttpOk(String url, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + " before " + url
            + " answered; its log (" + log + ") ends with:\n" + tail(40));
      }
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
        last = "HTTP " + r.statusCode();
      } catch (IOException e) {
        last = e.toString();
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new IllegalStateException(name + ": " + url + " not ready within " + timeout.toSeconds() + " s (last: " + last
        + "); its log (" + log + ") ends with:\n" + tail(40));
  }

  /** The last {@code lines} lines of the log, for failure messages. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "<cannot read " + log + ": " + e + ">";
    }
  }

  /** SIGTERM to the process and its descendants, SIGKILL to whatever is left after 15 s. Idempotent. */
  @Override
  public void close() {
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroy();
    descendants.forEach(ProcessHandle::destroy);
    try {
      if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  @Override
  public String toString() {
    return name + "(pid " + pid() + (isAlive() ? "" : ", exited " + process.exitValue()) + ", log " + log + ")";
  }

  static String requireExecutable(String path) {
    Objects.requireNonNull(path, "path");
    if (!Files.isExecutable(Path.of(path))) {
      throw new IllegalStateException(path + " is missing: run scripts/setup.sh (it installs Debian's prometheus and"
          + " prometheus-alertmanager)");
    }
    return path;
  }
}
