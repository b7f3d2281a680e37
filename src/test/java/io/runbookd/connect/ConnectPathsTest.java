package io.runbookd.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class ConnectPathsTest {

  @Test
  void everyByteOutsideUnreservedIsPercentEncodedAsUtf8() {
    assertThat(ConnectPaths.segment("a/b")).isEqualTo("a%2Fb");
    assertThat(ConnectPaths.segment("50% off")).isEqualTo("50%25%20off");
    assertThat(ConnectPaths.segment("名前")).isEqualTo("%E5%90%8D%E5%89%8D");
    assertThat(ConnectPaths.segment("x\r\nHeader: y")).isEqualTo("x%0D%0AHeader%3A%20y");
    assertThat(ConnectPaths.segment("émoji-😀")).isEqualTo("%C3%A9moji-%F0%9F%98%80");
    assertThat(ConnectPaths.segment("Az09-._~")).isEqualTo("Az09-._~");
  }

  @Test
  void dotSegmentsAreEncodedSoNothingRemovesThem() {
    assertThat(ConnectPaths.segment(".")).isEqualTo("%2E");
    assertThat(ConnectPaths.segment("..")).isEqualTo("%2E%2E");
    assertThat(ConnectPaths.segment("../x")).isEqualTo("..%2Fx");
    assertThat(ConnectPaths.segment("...")).isEqualTo("...");
  }

  @Test
  void pathsPutTheNameInItsOwnSegment() {
    assertThat(ConnectPaths.connector("a b", "/status")).isEqualTo("/connectors/a%20b/status");
    assertThat(ConnectPaths.taskRestart("a b", 2)).isEqualTo("/connectors/a%20b/tasks/2/restart");
    assertThat(ConnectPaths.validate("io.debezium.connector.postgresql.PostgresConnector"))
        .isEqualTo("/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate");
  }

  @Test
  void emptyNamesAndNegativeTaskIdsAreRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> ConnectPaths.segment(""))
        .withMessage("a connector or plugin name must not be empty");
    assertThatIllegalArgumentException().isThrownBy(() -> ConnectPaths.taskRestart("c", -1))
        .withMessage("task id must be >= 0, got -1");
  }
}
