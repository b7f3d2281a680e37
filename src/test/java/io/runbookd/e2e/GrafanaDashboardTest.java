package io.runbookd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's structure: what {@link AlertingChainIT} cannot see by running its queries (layout,
 * datasource, variables, provisioning). The queries themselves are checked against a real Prometheus there.
 */
class GrafanaDashboardTest {
  private static final Path PROVISIONING = Path.of("grafana", "provisioning");

  @Test
  void everyPanelQueriesTheSelectedPrometheusAndHasAnExplanation() throws Exception {
    JsonObject d = DashboardQueries.load();
    assertThat(d.getString("uid")).isEqualTo("runbookd-remediation-history");
    assertThat(d.getString("title")).isEqualTo("runbookd — remediation history");
    Set<Integer> ids = new HashSet<>();
    for (JsonObject p : panels(d)) {
      assertThat(ids.add(p.getInteger("id"))).as("unique id %s", p.getInteger("id")).isTrue();
      if ("row".equals(p.getString("type"))) {
        continue;
      }
      assertThat(p.getJsonObject("datasource").getString("uid")).as(p.getString("title")).isEqualTo("${datasource}");
      assertThat(p.getString("description")).as(p.getString("title")).isNotBlank();
      JsonArray targets = p.getJsonArray("targets");
      assertThat(targets).as(p.getString("title")).isNotEmpty();
      Set<String> refIds = new HashSet<>();
      for (Object t : targets) {
        JsonObject target = (JsonObject) t;
        assertThat(refIds.add(target.getString("refId"))).as("%s refIds", p.getString("title")).isTrue();
        assertThat(target.getString("expr")).as(p.getString("title")).isNotBlank();
      }
    }
  }

  @Test
  void panelsDoNotOverlap() throws Exception {
    List<int[]> boxes = new ArrayList<>();
    for (JsonObject p : panels(DashboardQueries.load())) {
      JsonObject g = p.getJsonObject("gridPos");
      int[] box = {g.getInteger("x"), g.getInteger("y"), g.getInteger("w"), g.getInteger("h")};
      assertThat(box[0] + box[2]).as(p.getString("title")).isLessThanOrEqualTo(24);
      for (int[] other : boxes) {
        boolean overlap = box[0] < other[0] + other[2] && other[0] < box[0] + box[2]
            && box[1] < other[1] + other[3] && other[1] < box[1] + box[3];
        assertThat(overlap).as("%s overlaps another panel", p.getString("title")).isFalse();
      }
      boxes.add(box);
    }
  }

  @Test
  void coversWhatOperatorsAskAbout() throws Exception {
    List<String> titles = panels(DashboardQueries.load()).stream().map(p -> p.getString("title")).toList();
    assertThat(titles).contains("Alerts received by alertname and status", "Remediations by outcome",
        "Per rule: remediation outcomes (time range)", "Per rule: steps run (time range)",
        "Per connector: failures and state now (Connect + alerts)", "Escalations by rule and level",
        "Time to recover (p50, p90)", "Open incidents by rule", "Rule loads by outcome", "Heap used and max");
  }

  @Test
  void runbookdMetricsAreFilteredByTheJobVariableSoTheConnectWorkersJvmIsNotMixedIn() throws Exception {
    for (DashboardQueries.Query q : DashboardQueries.queries(DashboardQueries.load())) {
      if (q.expr().contains("runbookd_") || q.expr().contains("jvm_") || q.expr().contains("process_")) {
        assertThat(q.expr()).as(q.name()).contains("job=~\"$job\"");
      }
    }
  }

  @Test
  void countersAreQueriedWithPlainIncreaseSinceTheirSeriesExistFromTheFirstScrape() throws Exception {
    for (DashboardQueries.Query q : DashboardQueries.queries(DashboardQueries.load())) {
      assertThat(q.expr()).as(q.name()).doesNotContain("unless").doesNotContain(" offset ");
    }
  }

  @Test
  void remediationsAreAnnotatedFromPrometheus() throws Exception {
    JsonObject d = DashboardQueries.load();
    List<JsonObject> annotations = d.getJsonObject("annotations").getJsonArray("list").stream().map(o -> (JsonObject) o)
        .filter(a -> a.containsKey("expr")).toList();
    assertThat(annotations).singleElement().satisfies(a -> {
      assertThat(a.getJsonObject("datasource").getString("type")).isEqualTo("prometheus");
      assertThat(a.getJsonObject("datasource").getString("uid")).isEqualTo("${datasource}");
      assertThat(a.getBoolean("enable")).isTrue();
      assertThat(a.getString("expr")).contains("runbookd_remediations_total{job=~\"$job\"}");
      assertThat(a.getString("titleFormat")).contains("{{rule}}").contains("{{outcome}}");
    });
  }

  @Test
  void provisioningPointsAtThePrometheusDatasourceAndTheDashboardsDirectory() throws Exception {
    YAMLMapper yaml = new YAMLMapper();
    JsonNode ds = yaml.readTree(PROVISIONING.resolve("datasources/prometheus.yml").toFile()).get("datasources").get(0);
    assertThat(ds.get("type").asText()).isEqualTo("prometheus");
    assertThat(ds.get("isDefault").asBoolean()).isTrue();
    JsonNode provider = yaml.readTree(PROVISIONING.resolve("dashboards/runbookd.yml").toFile()).get("providers").get(0);
    assertThat(provider.get("type").asText()).isEqualTo("file");
    assertThat(provider.get("options").get("path").asText()).isNotBlank();
  }

  private static List<JsonObject> panels(JsonObject dashboard) {
    List<JsonObject> out = new ArrayList<>();
    for (Object o : dashboard.getJsonArray("panels")) {
      JsonObject p = (JsonObject) o;
      out.add(p);
      p.getJsonArray("panels", new JsonArray()).forEach(n -> out.add((JsonObject) n));
    }
    return out;
  }
}
