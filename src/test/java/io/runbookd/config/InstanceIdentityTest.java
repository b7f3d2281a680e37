package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceIdentityTest {
  @TempDir
  Path tmp;

  @Test
  void theIdentityIsCreatedOnceInTheDataDirectoryAndKeptAcrossStarts() throws Exception {
    Path data = tmp.resolve("data");
    String first;
    try (InstanceIdentity id = InstanceIdentity.acquire(null, data)) {
      first = id.id();
      assertThat(id.stable()).isTrue();
      assertThat(id.source()).isEqualTo(data.resolve("instance-id").toAbsolutePath().toString());
      assertThat(Files.readString(data.resolve("instance-id")).strip()).isEqualTo(first);
    }
    try (InstanceIdentity again = InstanceIdentity.acquire(null, data)) {
      assertThat(again.id()).isEqualTo(first);
    }
  }

  @Test
  void aSecondDaemonOnTheSameDataDirectoryGetsATemporaryIdentity() {
    Path data = tmp.resolve("data");
    try (InstanceIdentity running = InstanceIdentity.acquire(null, data);
        InstanceIdentity second = InstanceIdentity.acquire(null, data)) {
      assertThat(second.stable()).isFalse();
      assertThat(second.id()).isNotEqualTo(running.id());
      assertThat(second.source()).startsWith("temporary: ").contains("held by another running runbookd");
    }
  }

  @Test
  void eachRunHasItsOwnOwnerNameUnderTheIdentity() {
    try (InstanceIdentity id = InstanceIdentity.acquire("connect-healer-0", tmp)) {
      assertThat(id.source()).isEqualTo("engine.instance_id");
      String a = id.newOwner();
      String b = id.newOwner();
      assertThat(a).startsWith("connect-healer-0/").isNotEqualTo(b);
      assertThat(id.ownerPrefix()).isEqualTo("connect-healer-0/");
    }
    assertThat(tmp.resolve("instance-id")).doesNotExist();
  }

  @Test
  void aFileThatDoesNotHoldAnIdentityStopsTheStart() throws Exception {
    Files.writeString(tmp.resolve("instance-id"), "two words\n");
    assertThatThrownBy(() -> InstanceIdentity.acquire(null, tmp)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("instance-id").hasMessageContaining("two words");
  }

  @Test
  void theConfiguredIdentityIsCheckedAndMayComeFromTheEnvironment() {
    java.util.Optional<String> env = System.getenv().keySet().stream().filter(k -> k.matches("[A-Za-z_][A-Za-z0-9_]*")
        && System.getenv(k).matches("[A-Za-z0-9._:@-]{1,64}")).findFirst();
    if (env.isPresent()) {
      RunbookdConfig c = ConfigLoader.parse("engine: { instance_id: '${env:" + env.get() + "}' }\n", "r.yaml");
      assertThat(c.engine().instanceId()).isEqualTo(System.getenv(env.get()));
    }
    assertThat(ConfigLoader.parse("engine: { instance_id: healer-0 }\n", "r.yaml").engine().instanceId()).isEqualTo("healer-0");
    assertThatThrownBy(() -> ConfigLoader.parse("engine:\n  instance_id: 'a/b'\n", "r.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("r.yaml:1").hasMessageContaining("instance_id").hasMessageContaining("a/b");
  }

  @Test
  void claimLeasesAndTheShutdownTimeoutAreConfigurableWithTodaysDefaults() {
    RunbookdConfig d = ConfigLoader.parse("{}\n", "r.yaml");
    assertThat(d.engine().alertClaimLease()).isEqualTo(Duration.ofSeconds(60));
    assertThat(d.engine().escalationClaimLease()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.engine().instanceId()).isNull();
    assertThat(d.server().shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));

    RunbookdConfig c = ConfigLoader.parse("server: { shutdown_timeout: 5s }\n"
        + "engine: { alert_claim_lease: 10s, escalation_claim_lease: 5s }\n", "r.yaml");
    assertThat(c.engine().alertClaimLease()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.engine().escalationClaimLease()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.server().shutdownTimeout()).isEqualTo(Duration.ofSeconds(5));

    assertThatThrownBy(() -> ConfigLoader.parse("engine: { alert_claim_lease: 0s }\n", "r.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("alert_claim_lease");
    assertThatThrownBy(() -> ConfigLoader.parse("server: { shutdown_timeout: 100ms }\n", "r.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("shutdown_timeout");
  }
}
