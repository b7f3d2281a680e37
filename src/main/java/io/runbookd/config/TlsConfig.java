package io.runbookd.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code server.tls}: serve the webhook, API and management endpoints over HTTPS on the same
 * listener, with PEM files as in Prometheus' {@code tls_server_config}.
 *
 * @param certFile PEM certificate chain of the server (leaf first)
 * @param keyFile PEM private key (PKCS#8, or PKCS#1 RSA)
 * @param clientCaFile PEM CA bundle; when set, every client must present a certificate it signed
 *     (mutual TLS; Alertmanager's {@code tls_config: {cert_file, key_file}})
 * @param minVersion {@code TLS12} (default) or {@code TLS13}
 */
public record TlsConfig(String certFile, String keyFile, String clientCaFile, String minVersion) {
  private static final List<String> VERSIONS = List.of("TLS12", "TLS13");

  public TlsConfig {
    if (certFile == null || certFile.isBlank() || keyFile == null || keyFile.isBlank()) {
      throw new ConfigException("cert_file and key_file are required");
    }
    readable(certFile, "cert_file");
    readable(keyFile, "key_file");
    if (clientCaFile != null) {
      readable(clientCaFile, "client_ca_file");
    }
    minVersion = minVersion == null ? "TLS12" : minVersion.toUpperCase(Locale.ROOT);
    if (!VERSIONS.contains(minVersion)) {
      throw new ConfigException("min_version: \"" + minVersion + "\" is not supported (use TLS12 or TLS13)");
    }
  }

  /** The protocol names ({@code TLSv1.2}, {@code TLSv1.3}) the listener accepts. */
  public Set<String> protocols() {
    return minVersion.equals("TLS13") ? Set.of("TLSv1.3") : Set.of("TLSv1.2", "TLSv1.3");
  }

  private static void readable(String file, String key) {
    if (!Files.isReadable(Path.of(file))) {
      throw new ConfigException(key + ": cannot read " + file);
    }
  }
}
