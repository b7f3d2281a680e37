package io.runbookd.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConnectEndpointTest {

  @Test
  void defaultsSitAboveConnectsNinetySecondTimeout() {
    ConnectEndpoint endpoint = ConnectEndpoint.of("prod", "http://connect:8083");

    assertThat(endpoint.requestTimeout()).isEqualTo(Duration.ofSeconds(100));
    assertThat(endpoint.conflictBackOff()).isEqualTo(BackOff.DEFAULT);
    assertThat(endpoint.basicAuth()).isEmpty();
    assertThat(endpoint.tls()).isEqualTo(ConnectEndpoint.Tls.SYSTEM_DEFAULT);
    assertThat(endpoint.port()).isEqualTo(8083);
    assertThat(endpoint.pathPrefix()).isEmpty();
    assertThat(endpoint.isHttps()).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
      "http://connect,                    http://connect,           80,  ''",
      "HTTPS://connect.example.com/,      https://connect.example.com, 443, ''",
      "https://gw:8443/kafka/connect///,  https://gw:8443/kafka/connect, 8443, /kafka/connect",
  })
  void baseUrlIsNormalized(String given, String normalized, int port, String prefix) {
    ConnectEndpoint endpoint = ConnectEndpoint.of("prod", given);

    assertThat(endpoint.baseUrl()).isEqualTo(URI.create(normalized));
    assertThat(endpoint.port()).isEqualTo(port);
    assertThat(endpoint.pathPrefix()).isEqualTo(prefix);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "connect:8083 | Connect cluster \"prod\": base URL must start with http:// or https://, got connect:8083",
      "ftp://connect | Connect cluster \"prod\": base URL must start with http:// or https://, got ftp://connect",
      "http:///path | Connect cluster \"prod\": base URL has no host: http:///path",
      "http://admin:pw@connect:8083 | Connect cluster \"prod\": base URL must not contain credentials; use basic auth settings",
      "http://connect:8083/?x=1 | Connect cluster \"prod\": base URL must not have a query or fragment: http://connect:8083/?x=1",
      "http://conn ect | Connect cluster \"prod\": invalid base URL: Illegal character in authority at index 7: http://conn ect",
  })
  void badBaseUrlsAreRejectedWithTheClusterName(String url, String message) {
    assertThatIllegalArgumentException().isThrownBy(() -> ConnectEndpoint.of("prod", url)).withMessage(message);
  }

  @Test
  void passwordIsRedactedWhenPrinted() {
    ConnectEndpoint endpoint = ConnectEndpoint.of("prod", "https://connect:8443")
        .withBasicAuth("runbookd", "hunter2-very-secret");

    assertThat(endpoint.toString())
        .doesNotContain("hunter2-very-secret")
        .contains("username=runbookd", "password=<redacted>", "cluster=prod", "https://connect:8443");
    assertThat(endpoint.basicAuth().orElseThrow().toString()).doesNotContain("hunter2");
    assertThat(endpoint.basicAuth().orElseThrow().password()).isEqualTo("hunter2-very-secret");
  }

  @Test
  void tlsNeedsHttps() {
    ConnectEndpoint http = ConnectEndpoint.of("prod", "http://connect:8083");

    assertThatIllegalArgumentException().isThrownBy(() -> http.withTls(ConnectEndpoint.Tls.insecure()))
        .withMessage("Connect cluster \"prod\": tls settings need an https base URL, got http://connect:8083");
    assertThat(ConnectEndpoint.of("prod", "https://connect:8443").withTls(ConnectEndpoint.Tls.caFile(Path.of("/etc/ca.pem"))).tls())
        .isEqualTo(new ConnectEndpoint.Tls(Optional.of(Path.of("/etc/ca.pem")), false));
  }

  @Test
  void rejectsMissingAndBlankValues() {
    ConnectEndpoint endpoint = ConnectEndpoint.of("prod", "http://connect:8083");

    assertThatNullPointerException().isThrownBy(() -> ConnectEndpoint.of(null, "http://connect"));
    assertThatIllegalArgumentException().isThrownBy(() -> ConnectEndpoint.of(" ", "http://connect"))
        .withMessage("cluster name must not be blank");
    assertThatIllegalArgumentException().isThrownBy(() -> endpoint.withRequestTimeout(Duration.ZERO))
        .withMessage("Connect cluster \"prod\": requestTimeout must be positive, got PT0S");
    assertThatIllegalArgumentException().isThrownBy(() -> endpoint.withBasicAuth("a:b", "pw"))
        .withMessage("basic auth username must be non-empty and contain no ':'");
  }
}
