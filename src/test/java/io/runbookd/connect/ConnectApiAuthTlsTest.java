package io.runbookd.connect;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Basic auth (Connect's BasicAuthSecurityRestExtension, KIP-285) and https listeners (KIP-208;
 * https://kafka.apache.org/documentation/#connectconfigs_listeners).
 */
class ConnectApiAuthTlsTest extends WireMockConnect {

  private static final String STATUS = "/connectors/orders-source/status";

  /** An https "Connect" whose certificate (CN=localhost, SAN localhost and 127.0.0.1) is {@code tls/ca.pem}. */
  @RegisterExtension
  static final WireMockExtension HTTPS_CONNECT = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().dynamicHttpsPort()
          .keystorePath(resource("tls/server.p12").toString())
          .keystoreType("PKCS12")
          .keystorePassword("changeit")
          .keyManagerPassword("changeit"))
      .build();

  @BeforeEach
  void stubStatus() {
    CONNECT.stubFor(get(STATUS).willReturn(okJson(fixture("status-running-4.1.json"))));
    HTTPS_CONNECT.stubFor(get(STATUS).willReturn(okJson(fixture("status-running-4.1.json"))));
  }

  @Test
  void basicAuthHeaderIsSentOnEveryRequest() throws Exception {
    ConnectApi withAuth = api(endpoint().withBasicAuth("runbookd", "s3cr3t:with colon"));

    await(withAuth.status("orders-source"));
    await(withAuth.status("orders-source"));

    // base64("runbookd:s3cr3t:with colon")
    CONNECT.verify(2, getRequestedFor(urlEqualTo(STATUS))
        .withHeader("Authorization", equalTo("Basic cnVuYm9va2Q6czNjcjN0OndpdGggY29sb24=")));
  }

  @Test
  void noAuthorizationHeaderWithoutCredentials() throws Exception {
    await(api.status("orders-source"));

    CONNECT.verify(getRequestedFor(urlEqualTo(STATUS)).withHeader("Authorization", absent()));
  }

  @Test
  void httpsWithTheClustersCaFileIsTrusted() throws Exception {
    ConnectApi secure = api(httpsEndpoint("localhost").withTls(ConnectEndpoint.Tls.caFile(resource("tls/ca.pem"))));

    assertThat(await(secure.status("orders-source")).isHealthy()).isTrue();
  }

  @Test
  void httpsWithAnUntrustedCertificateFailsWithoutAResponse() throws Exception {
    ConnectApi secure = api(httpsEndpoint("localhost"));

    ConnectRestException error = failure(secure.status("orders-source"));

    assertThat(error.status()).isEqualTo(-1);
    assertThat(exchanges).containsExactly(new Exchange("prod", "GET", -1));
    HTTPS_CONNECT.verify(0, getRequestedFor(urlEqualTo(STATUS)));
  }

  @Test
  void httpsInsecureSkipVerifyTrustsAnyCertificate() throws Exception {
    ConnectApi insecure = api(httpsEndpoint("127.0.0.1").withTls(ConnectEndpoint.Tls.insecure()));

    assertThat(await(insecure.status("orders-source")).isHealthy()).isTrue();
  }

  private static ConnectEndpoint httpsEndpoint(String host) {
    return ConnectEndpoint.of("prod", "https://" + host + ":" + HTTPS_CONNECT.getRuntimeInfo().getHttpsPort())
        .withConflictBackOff(FAST_BACKOFF);
  }

  private static Path resource(String name) {
    try {
      return Paths.get(ConnectApiAuthTlsTest.class.getResource("/connect/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
