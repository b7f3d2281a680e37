package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class RebalancePolicyTest {
  @Test
  void upToTheBoundA409PutsTheAttemptOffThenItCounts() {
    assertThat(RebalancePolicy.defer(1, 3)).isTrue();
    assertThat(RebalancePolicy.defer(3, 3)).isTrue();
    assertThat(RebalancePolicy.defer(4, 3)).isFalse();
    assertThat(RebalancePolicy.defer(40, 3)).isFalse();
  }

  @Test
  void zeroRetriesCountsTheFirst409() {
    assertThat(RebalancePolicy.defer(1, 0)).isFalse();
  }

  @Test
  void theReasonNamesTheSettingAndTheError() {
    assertThat(RebalancePolicy.exhausted(4, 3, "POST /connectors/a/restart failed: HTTP 409: stale"))
        .isEqualTo("Connect answered 409 (rebalancing) to 4 attempts of this incident, more than"
            + " guards.max_rebalance_retries (3); this attempt counts: POST /connectors/a/restart failed: HTTP 409: stale");
  }

  @Test
  void nonsenseIsRefused() {
    assertThatIllegalArgumentException().isThrownBy(() -> RebalancePolicy.defer(0, 3));
    assertThatIllegalArgumentException().isThrownBy(() -> RebalancePolicy.defer(1, -1));
  }
}
