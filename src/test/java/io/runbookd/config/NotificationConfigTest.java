package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code server.external_url} and the Slack bot settings as an operator writes them. */
class NotificationConfigTest {

  @Test
  void externalUrlIsKeptWithoutItsTrailingSlashAndIsOptional() {
    RunbookdConfig c = ConfigLoader.parse("server:\n  external_url: 'https://runbookd.example.com/'\n", "runbookd.yaml");
    assertThat(c.server().externalUrl()).isEqualTo("https://runbookd.example.com");
    assertThat(ConfigLoader.parse("server:\n  listen: ':9095'\n", "runbookd.yaml").server().externalUrl()).isNull();
  }

  @Test
  void anExternalUrlThatIsNotAnAbsoluteHttpUrlIsRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("server:\n  external_url: 'runbookd.example.com'\n", "runbookd.yaml"))
        .hasMessageContaining("server.external_url: \"runbookd.example.com\" is not an absolute http(s) URL");
  }

  @Test
  void aSlackBotTokenNeedsAChannelAndNeedsNoUrl() {
    RunbookdConfig c = ConfigLoader.parse("notifiers:\n  team: { type: slack, token: xoxb-1, channel: C024BE91L }\n",
        "runbookd.yaml");
    assertThat(c.notifiers().get("team").channel()).isEqualTo("C024BE91L");
    assertThat(c.notifiers().get("team").toString()).doesNotContain("xoxb-1");
    assertThatThrownBy(() -> ConfigLoader.parse("notifiers:\n  team: { type: slack, token: xoxb-1 }\n", "runbookd.yaml"))
        .hasMessageContaining("a slack notifier with a token needs channel");
    assertThatThrownBy(() -> ConfigLoader.parse(
        "notifiers:\n  pd: { type: pagerduty, routing_key: R, token: xoxb-1, channel: C1 }\n", "runbookd.yaml"))
        .hasMessageContaining("token is only for type slack");
  }
}
