package io.runbookd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StoreSettingsTest {

  @Test
  void sqliteByDefaultUnderTheDataDirectoryWithDefaults() {
    StoreSettings s = StoreSettings.sqlite(Path.of("/var/lib/runbookd"));

    assertThat(s.sqliteFile()).isEqualTo(Path.of("/var/lib/runbookd/runbookd.db"));
    assertThat(s.maxPoolSize()).isEqualTo(StoreSettings.DEFAULT_MAX_POOL_SIZE);
    assertThat(s.connectionTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(new StoreSettings("  ", Path.of("/d"), null, null, 0, null).jdbcUrl()).isNull();
  }

  @Test
  void invalidSettingsAreRejectedWithTheReason() {
    assertThatThrownBy(() -> new StoreSettings(null, null, null, null, 0, null))
        .hasMessage("store: either a JDBC URL or a data directory is required");
    assertThatThrownBy(() -> StoreSettings.sqlite(Path.of("/d")).withMaxPoolSize(-1))
        .hasMessage("store: maxPoolSize must be >= 1 (or 0 for the default), got -1");
    assertThatThrownBy(() -> StoreSettings.sqlite(Path.of("/d")).withConnectionTimeout(Duration.ofMillis(100)))
        .hasMessage("store: connectionTimeout must be at least 250ms, got PT0.1S");
    assertThatThrownBy(() -> Stores.open(StoreSettings.jdbc("jdbc:mysql://db/runbookd", "u", "p")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("store: unsupported JDBC URL jdbc:mysql:... (expected jdbc:postgresql: or jdbc:sqlite:)");
  }

  @Test
  void secretsAreRedacted() {
    StoreSettings s = StoreSettings.jdbc("jdbc:postgresql://db/runbookd?user=rb&password=hunter2&ssl=true", "rb", "s3cret");

    assertThat(s.toString())
        .isEqualTo("StoreSettings[jdbcUrl=jdbc:postgresql://db/runbookd?user=rb&password=****&ssl=true, dataDir=null,"
            + " username=rb, password=****, maxPoolSize=10, connectionTimeout=PT2S]");
    assertThat(s.redactedUrl()).doesNotContain("hunter2");
    assertThat(StoreSettings.jdbc("jdbc:postgresql://db/x", null, null).toString()).contains("password=null");
  }
}
