package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web page {@code /ui} in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, see scripts/setup.sh) driven by Selenium, against runbookd in-process and a
 * real Kafka Connect worker ({@link ConnectWorker}): an operator approves a restart from the incident's
 * page and watches the page follow the remediation to its verified recovery without reloading; an
 * operator rejects; a read-only viewer sees no buttons and a forged decision is refused.
 *
 * <p>Screenshots of the main pages are written to {@code target/screenshots}, or to the directory named
 * by the system property {@code runbookd.screenshots} (the README's are made with
 * {@code -Drunbookd.screenshots=$PWD/docs/screenshots}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebUiIT {
  private static final Logger LOG = LoggerFactory.getLogger(WebUiIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";
  private static final String ALICE = basic("alice", "alice-pw");
  private static final String CAROL = basic("carol", "carol-pw");
  private static final Duration PAGE = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ConnectWorker connect;
  private WireMockServer notifiers;
  private Daemon daemon;
  private ChromeDriver browser;
  private Path tmp;
  private Path shots;

  @BeforeAll
  void startWorld() throws Exception {
    connect = ConnectWorker.get();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(post(urlPathMatching("/.*")).willReturn(aResponse().withStatus(200)));
    tmp = Files.createTempDirectory("webui-it");
    String rules = """
        rules:
          - name: connect-db-connection-refused
            description: The database refused the connection; restart the failed tasks once a human agrees.
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
              trace: 'Connection to \\S+ refused'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            approval: { required: always, ttl: 30m, notify: approver }
            retry: { max_attempts: 2, backoff: [0s, 1h] }
            steps:
              - restart: { include_tasks: true, only_failed: true }
              - wait_for: { state: RUNNING, within: 60s, stable_for: 2s }
            escalation:
              - after: 30m
                notify: oncall
        """;
    String yaml = "server:\n  listen: 127.0.0.1:0\n  auth:\n"
        + "    operators: [ { basic_auth: { username: alice, password: alice-pw } } ]\n"
        + "    viewers: [ { basic_auth: { username: carol, password: carol-pw } } ]\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-ui.yaml", rules) + "'] }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
        + "notifiers:\n"
        + "  approver: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/approver' }\n"
        + "  oncall: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
        + "engine: { tick: 200ms, poll_interval: 300ms }\n";
    daemon = Daemon.startWith(yaml);

    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1440,1100", "--lang=en-US");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    String dir = System.getProperty("runbookd.screenshots");
    shots = dir == null || dir.isBlank() ? Path.of("target", "screenshots") : Path.of(dir);
    Files.createDirectories(shots);
  }

  @AfterAll
  void stopWorld() throws Exception {
    if (browser != null && daemon != null) {
      // The list with what the tests left: recovered, rejected and awaiting approval.
      signIn(ALICE);
      open("/ui/incidents");
      await("the list", By.cssSelector("tr.incident"));
      screenshot("incidents");
    }
    if (browser != null) {
      browser.quit();
    }
    if (daemon != null) {
      daemon.close();
    }
    if (notifiers != null) {
      notifiers.stop();
    }
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** Every request of the browser from now on carries {@code authorization} (as a browser does after a login prompt). */
  private void signIn(String authorization) {
    browser.executeCdpCommand("Network.enable", Map.of());
    browser.executeCdpCommand("Network.setExtraHTTPHeaders", Map.of("headers", Map.of("Authorization", authorization)));
  }

  private void open(String path) {
    browser.get(daemon.url() + path);
  }

  private WebElement await(String what, By by) {
    Await.until(what, PAGE, () -> !browser.findElements(by).isEmpty());
    return browser.findElement(by);
  }

  private void awaitText(String what, By by, String text) throws Exception {
    try {
      Await.until(what, PAGE, () -> browser.findElements(by).stream().anyMatch(e -> e.getText().contains(text)));
    } catch (AssertionError | RuntimeException e) {
      // What the browser showed instead, for the report.
      Path page = shots.resolve("failed-" + System.nanoTime() + ".html");
      Files.writeString(page, browser.getPageSource());
      LOG.error("page at {} saved to {}", browser.getCurrentUrl(), page);
      throw e;
    }
  }

  /** The whole page (up to 2,400 px high) as {@code name.png}. */
  private void screenshot(String name) throws Exception {
    Dimension before = browser.manage().window().getSize();
    long height = (Long) ((JavascriptExecutor) browser).executeScript("return document.documentElement.scrollHeight;");
    browser.manage().window().setSize(new Dimension(before.getWidth(), (int) Math.min(2400, Math.max(height + 140, 600))));
    try {
      Files.write(shots.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    } finally {
      browser.manage().window().setSize(before);
    }
  }

  /** A connector whose task failed with a refused database connection; the database is back. */
  private String failedConnector(String name) {
    Failures.set(name, "org.postgresql.util.PSQLException: Connection to localhost:5432 refused (simulated). Check that"
        + " the hostname and port are correct and that the postmaster is accepting TCP/IP connections.");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(60));
    Failures.clear(name);
    return name;
  }

  private String fireAndAwaitApproval(String name) throws Exception {
    Map<String, String> labels = Map.of("alertname", ALERT, "connect_cluster", "local", "connector", name, "task", "0",
        "severity", "warning");
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + "/api/v1/alerts"))
        .header("Content-Type", AlertmanagerPayloads.CONTENT_TYPE)
        .POST(HttpRequest.BodyPublishers.ofString(AlertmanagerPayloads.firing(ALERT, labels, Instant.now().minusSeconds(60))))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    String[] id = new String[1];
    Await.until("an incident of " + name + " awaiting approval", Duration.ofSeconds(60), () -> {
      for (Object o : new JsonObject(api("GET", "/api/v1/incidents?connector=" + name, ALICE, null).body())
          .getJsonArray("incidents")) {
        JsonObject i = (JsonObject) o;
        if ("awaiting_approval".equals(i.getString("state"))) {
          id[0] = i.getString("id");
          return true;
        }
      }
      return false;
    });
    return id[0];
  }

  private HttpResponse<String> api(String method, String path, String authorization, String form) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.url() + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", authorization);
    if (form == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/x-www-form-urlencoded").method(method, HttpRequest.BodyPublishers.ofString(form));
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String approvalState(String id) throws Exception {
    JsonObject detail = new JsonObject(api("GET", "/api/v1/incidents/" + id, ALICE, null).body());
    return detail.getJsonArray("approvals").getJsonObject(0).getString("state");
  }

  /** Marks the page: the mark survives htmx's updates and is gone after a reload. */
  private void markPage() {
    ((JavascriptExecutor) browser).executeScript("window.__notReloaded = true;");
  }

  private boolean pageNotReloaded() {
    return Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript("return window.__notReloaded === true;"));
  }

  @Test
  void anOperatorApprovesFromTheIncidentPageAndWatchesTheRestartRecover() throws Exception {
    String name = failedConnector("ui-orders-sink");
    try {
      String id = fireAndAwaitApproval(name);
      signIn(ALICE);
      open("/ui/incidents?state=open");
      // The list shows the incident; its link opens the incident's page.
      await("the incident in the list", By.cssSelector("tr.incident[data-id='" + id + "'] a")).click();
      awaitText("the approval plan", By.id("approval-plan"), "steps[0] restart");
      assertThat(browser.findElement(By.id("plan")).getText()).contains("steps[0] restart").contains("steps[1] wait_for");
      assertThat(browser.findElement(By.id("state")).getText()).isEqualTo("awaiting_approval");
      // The trace, with its cause line highlighted.
      assertThat(browser.findElement(By.id("cause-line")).getText()).contains("Connection to localhost:5432 refused");
      assertThat(browser.findElement(By.id("who")).getText()).isEqualTo("alice");
      assertThat(RestartRequestRecorder.requests(name)).as("nothing done before the approval").isEmpty();

      markPage();
      browser.findElement(By.id("comment")).sendKeys("DB is back, go");
      browser.findElement(By.id("approve")).click();
      awaitText("the decision's answer", By.id("decision"), "Approved by alice");
      // The page follows the remediation that the approval let run: restart, RUNNING, verified, closed.
      awaitText("the incident closed as recovered", By.id("summary"), "recovered");
      assertThat(browser.findElement(By.id("state")).getText()).isEqualTo("closed");
      assertThat(browser.findElements(By.cssSelector("#steps tr.step")).stream()
          .map(e -> e.getAttribute("data-type") + "=" + e.getAttribute("data-outcome")).toList())
          .containsExactly("restart=ok", "wait_for=ok");
      assertThat(browser.findElement(By.id("approvals")).getText()).contains("approved").contains("alice")
          .contains("DB is back, go");
      assertThat(browser.findElements(By.id("approve"))).as("nothing left to approve").isEmpty();
      assertThat(pageNotReloaded()).as("the page updated without a reload").isTrue();
      assertThat(RestartRequestRecorder.requests(name)).singleElement();
      assertThat(connect.status(name).tasks()).allSatisfy(t -> assertThat(t.state()).isEqualTo("RUNNING"));
      screenshot("incident-recovered");
    } finally {
      connect.deleteConnector(name);
    }
  }

  @Test
  void anOperatorRejectsAndNothingIsDone() throws Exception {
    String name = failedConnector("ui-billing-sink");
    try {
      // The list is open before the alert arrives: the new incident appears in it without a reload.
      signIn(ALICE);
      open("/ui/incidents");
      await("the list", By.id("incident-list"));
      markPage();
      String id = fireAndAwaitApproval(name);
      await("the new incident in the open list", By.cssSelector("tr.incident[data-id='" + id + "'] a"));
      assertThat(pageNotReloaded()).as("the list updated without a reload").isTrue();
      browser.findElement(By.cssSelector("tr.incident[data-id='" + id + "'] a")).click();
      awaitText("the approval plan", By.id("approval-plan"), "steps[0] restart");
      screenshot("incident-approval");
      markPage();
      browser.findElement(By.id("comment")).sendKeys("DBA is on it");
      browser.findElement(By.id("reject")).click();
      awaitText("the decision's answer", By.id("decision"), "Rejected by alice");
      awaitText("the incident handed to humans", By.id("state"), "escalated");
      assertThat(browser.findElement(By.id("approvals")).getText()).contains("rejected").contains("DBA is on it");
      assertThat(browser.findElement(By.id("timeline")).getText()).contains("rejected by alice: DBA is on it");
      assertThat(browser.findElements(By.cssSelector("#steps tr.step"))).isEmpty();
      assertThat(pageNotReloaded()).isTrue();
      assertThat(approvalState(id)).isEqualTo("rejected");
      assertThat(RestartRequestRecorder.requests(name)).isEmpty();
    } finally {
      connect.deleteConnector(name);
    }
  }

  @Test
  void aViewerSeesNoButtonsAndForgedDecisionsAreRefused() throws Exception {
    String name = failedConnector("ui-audit-sink");
    try {
      String id = fireAndAwaitApproval(name);
      signIn(CAROL);
      open("/ui/incidents/" + id);
      awaitText("the approval plan", By.id("approval-plan"), "steps[0] restart");
      assertThat(browser.findElement(By.id("who")).getText()).isEqualTo("carol (read-only)");
      assertThat(browser.findElement(By.id("read-only")).getText()).contains("read-only");
      assertThat(browser.findElements(By.tagName("button")).stream().map(WebElement::getText).toList())
          .doesNotContain("Approve", "Reject");

      // The list's filters: by connector, then by state.
      open("/ui/incidents");
      await("the filters", By.id("filter-connector")).sendKeys(name);
      browser.findElement(By.id("filter")).click();
      await("the filtered list", By.cssSelector("tr.incident[data-id='" + id + "']"));
      assertThat(browser.findElements(By.cssSelector("tr.incident")).stream().map(e -> e.getAttribute("data-id")).toList())
          .containsExactly(id);
      open("/ui/incidents?state=closed&connector=" + name);
      await("the empty list", By.id("incident-list"));
      assertThat(browser.findElements(By.cssSelector("tr.incident"))).isEmpty();

      // The viewer's own page token does not make a viewer an operator.
      String token = csrfToken(api("GET", "/ui/incidents/" + id, CAROL, null).body());
      assertThat(api("POST", "/ui/incidents/" + id + "/approve", CAROL, "_csrf=" + token).statusCode()).isEqualTo(403);
      assertThat(api("POST", "/api/v1/incidents/" + id + "/approve", CAROL, "").statusCode()).isEqualTo(403);
      // An operator's credentials without the operator's token (what a hostile page can make a browser send),
      // with another user's token, or from another origin, are refused too.
      assertThat(api("POST", "/ui/incidents/" + id + "/approve", ALICE, "comment=x").statusCode()).isEqualTo(403);
      assertThat(api("POST", "/ui/incidents/" + id + "/approve", ALICE, "_csrf=" + token).statusCode()).isEqualTo(403);
      String aliceToken = csrfToken(api("GET", "/ui/incidents/" + id, ALICE, null).body());
      HttpResponse<String> crossSite = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + "/ui/incidents/" + id + "/approve"))
          .header("Authorization", ALICE).header("Origin", "https://evil.example")
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("_csrf=" + aliceToken)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(crossSite.statusCode()).isEqualTo(403);
      // The JSON API too: the browser would attach the operator's cached basic-auth credentials to it.
      HttpResponse<String> crossSiteApi = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + "/api/v1/incidents/" + id
              + "/approve")).header("Authorization", ALICE).header("Origin", "https://evil.example")
          .header("Sec-Fetch-Site", "cross-site").header("Content-Type", "text/plain")
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(crossSiteApi.statusCode()).isEqualTo(403);
      assertThat(approvalState(id)).as("no forged decision was recorded").isEqualTo("pending");
      assertThat(RestartRequestRecorder.requests(name)).isEmpty();

      // The viewer may read the rules, explain a webhook body and see the guards.
      open("/ui/rules");
      awaitText("the rules", By.id("rules"), "connect-db-connection-refused");
      assertThat(browser.findElement(By.cssSelector("tr.rule[data-name='connect-db-connection-refused'] td.source")).getText())
          .matches(".*10-ui\\.yaml:2");
      screenshot("rules");

      open("/ui/guards");
      awaitText("the guards", By.cssSelector("tr.cluster[data-cluster='local']"), "local");
      assertThat(browser.findElement(By.cssSelector("tr.cluster[data-cluster='local']")).getText()).contains("none");
      screenshot("guards");

      open("/ui/explain");
      Map<String, String> labels = Map.of("alertname", ALERT, "connect_cluster", "local", "connector", "orders-pg-sink",
          "task", "0");
      setValue(await("the explain form", By.id("webhook")), AlertmanagerPayloads.firing(ALERT, labels, Instant.now()));
      setValue(browser.findElement(By.id("status")), """
          {"name":"orders-pg-sink","connector":{"state":"RUNNING","worker_id":"10.0.0.7:8083"},
           "tasks":[{"id":0,"state":"FAILED","worker_id":"10.0.0.7:8083",
           "trace":"org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask\\nCaused by: org.postgresql.util.PSQLException: Connection to db:5432 refused."}],
           "type":"sink"}""");
      browser.findElement(By.id("explain")).click();
      awaitText("the verdict", By.cssSelector("p.verdict"), "connect-db-connection-refused");
      assertThat(browser.findElement(By.cssSelector("p.verdict")).getText())
          .contains("rule \"connect-db-connection-refused\" on local/orders-pg-sink")
          .contains("Connection to db:5432 refused");
      screenshot("explain");
    } finally {
      connect.deleteConnector(name);
    }
  }

  private void setValue(WebElement e, String value) {
    ((JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1];", e, value);
  }

  private static String csrfToken(String html) {
    Matcher m = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(html);
    if (m.find()) {
      return m.group(1);
    }
    Matcher h = Pattern.compile("X-CSRF-Token&quot;: &quot;([^&]+)&quot;|X-CSRF-Token\": \"([^\"]+)\"").matcher(html);
    assertThat(h.find()).as("a CSRF token in the page").isTrue();
    return h.group(1) != null ? h.group(1) : h.group(2);
  }
}
