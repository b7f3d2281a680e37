package io.runbookd.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.config.TlsConfig;
import io.runbookd.engine.ActiveRules;
import io.runbookd.engine.Operations;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.rules.RuleLoader;
import io.runbookd.store.Store;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code server.tls}: HTTPS with PEM files, optional client certificates and a minimum version. */
class ApiServerTlsTest {
  static final Path DIR = Path.of("src/test/resources/server-tls");

  Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  int start(TlsConfig tls) throws Exception {
    Store store = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> null);
    RunbookdMetrics metrics = new RunbookdMetrics(new PrometheusRegistry(), false);
    ActiveRules rules = new ActiveRules(List.of(Path.of("rules").toAbsolutePath()), RuleLoader.Context.unchecked(), metrics,
        Clock.systemUTC());
    rules.reload();
    ApiServer api = new ApiServer(new RunbookdConfig.Server("127.0.0.1:0", 0, null, tls),
        Operations.create(vertx, store, rules, Clock.systemUTC()), metrics);
    vertx.deployVerticle(api).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return api.port();
  }

  static TlsConfig tls(String clientCa, String minVersion) {
    return new TlsConfig(DIR.resolve("server.pem").toString(), DIR.resolve("server.key").toString(),
        clientCa == null ? null : DIR.resolve(clientCa).toString(), minVersion);
  }

  static SSLContext context(boolean clientCert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(DIR.resolve("ca.pem"))) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (clientCert) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(DIR.resolve("client.p12"))) {
        keys.load(in, "changeit".toCharArray());
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, "changeit".toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  static HttpResponse<String> get(String url, SSLContext ctx, String... protocols) throws Exception {
    HttpClient.Builder b = HttpClient.newBuilder().sslContext(ctx);
    if (protocols.length > 0) {
      SSLParameters params = new SSLParameters();
      params.setProtocols(protocols);
      b.sslParameters(params);
    }
    return b.build().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesHttpsWithPemFiles() throws Exception {
    int port = start(tls(null, null));

    assertThat(get("https://localhost:" + port + "/-/healthy", context(false)).statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/healthy"))
        .build(), HttpResponse.BodyHandlers.ofString())).as("plain HTTP on the TLS listener").isInstanceOf(IOException.class);
  }

  @Test
  void withAClientCaEveryClientNeedsACertificateItSigned() throws Exception {
    int port = start(tls("ca.pem", null));

    assertThat(get("https://localhost:" + port + "/-/healthy", context(true)).statusCode()).isEqualTo(200);
    // TLS 1.2, where the server's refusal ends the handshake at once (in 1.3 it comes after it).
    assertThatThrownBy(() -> get("https://localhost:" + port + "/-/healthy", context(false), "TLSv1.2"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void minVersionTls13RefusesTls12() throws Exception {
    int port = start(tls(null, "TLS13"));

    assertThat(get("https://localhost:" + port + "/-/healthy", context(false), "TLSv1.3").statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> get("https://localhost:" + port + "/-/healthy", context(false), "TLSv1.2")).isInstanceOf(IOException.class);
  }
}
