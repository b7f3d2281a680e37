package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.Endpoint;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Endpoints found in the configs of real connectors (shapes from each connector's documentation). */
class EndpointsTest {
  private static String first(Map<String, String> config) {
    return Endpoints.pick(config, false).map(Endpoint::toString).orElse("none");
  }

  @Test
  void jdbcUrlsOfEachDriverGiveTheirHostAndPortOrTheDriversDefaultPort() {
    assertThat(first(Map.of("connector.class", "io.debezium.connector.jdbc.JdbcSinkConnector",
        "connection.url", "jdbc:postgresql://127.0.0.1:5434/orders"))).isEqualTo("127.0.0.1:5434");
    assertThat(first(Map.of("connection.url", "jdbc:postgresql://db.internal/orders?sslmode=require"))).isEqualTo("db.internal:5432");
    assertThat(first(Map.of("connection.url", "jdbc:postgresql://pg-a:5433,pg-b:5433/orders?targetServerType=primary")))
        .as("the first host of a failover URL").isEqualTo("pg-a:5433");
    assertThat(first(Map.of("connection.url", "jdbc:mysql://mysql.internal:3307/inventory?useSSL=false"))).isEqualTo("mysql.internal:3307");
    assertThat(first(Map.of("connection.url", "jdbc:mariadb://maria/inventory"))).isEqualTo("maria:3306");
    assertThat(first(Map.of("connection.url", "jdbc:sqlserver://mssql.internal:1444;databaseName=sales;encrypt=true")))
        .isEqualTo("mssql.internal:1444");
    assertThat(first(Map.of("connection.url", "jdbc:sqlserver://mssql.internal\\SQLEXPRESS;databaseName=sales")))
        .isEqualTo("mssql.internal:1433");
    assertThat(first(Map.of("connection.url", "jdbc:oracle:thin:@ora.internal:1522:ORCL"))).isEqualTo("ora.internal:1522");
    assertThat(first(Map.of("connection.url", "jdbc:oracle:thin:@//ora.internal:1523/sales.example.com")))
        .isEqualTo("ora.internal:1523");
    assertThat(first(Map.of("connection.url", "jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=ora-scan)"
        + "(PORT=1524))(CONNECT_DATA=(SERVICE_NAME=sales)))"))).isEqualTo("ora-scan:1524");
    assertThat(first(Map.of("connection.url", "jdbc:postgresql://[::1]:5433/orders"))).isEqualTo("[::1]:5433");
  }

  @Test
  void debeziumSourcesGiveDatabaseHostnameAndPortDefaultingByConnectorClass() {
    assertThat(first(Map.of("connector.class", "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname", "pg.internal", "database.port", "5435"))).isEqualTo("pg.internal:5435");
    assertThat(first(Map.of("connector.class", "io.debezium.connector.mysql.MySqlConnector",
        "database.hostname", "mysql.internal"))).isEqualTo("mysql.internal:3306");
    assertThat(first(Map.of("connector.class", "io.debezium.connector.sqlserver.SqlServerConnector",
        "database.hostname", "mssql"))).isEqualTo("mssql:1433");
  }

  @Test
  void mongoConnectionStringsGiveTheirFirstHostButAnSrvRecordNone() {
    assertThat(first(Map.of("connection.uri", "mongodb://app:s3cret@mongo-0.internal:27018,mongo-1.internal:27018/?replicaSet=rs0")))
        .isEqualTo("mongo-0.internal:27018");
    assertThat(first(Map.of("mongodb.connection.string", "mongodb://mongo.internal/?replicaSet=rs0"))).isEqualTo("mongo.internal:27017");
    assertThat(first(Map.of("connection.uri", "mongodb+srv://cluster0.example.mongodb.net/"))).isEqualTo("none");
  }

  @Test
  void connectionHostNeedsAPortAndSchemaRegistryUrlsAreHttpEndpoints() {
    assertThat(first(Map.of("connection.host", "redis.internal", "connection.port", "6380"))).isEqualTo("redis.internal:6380");
    assertThat(first(Map.of("connection.host", "redis.internal"))).isEqualTo("none");
    Map<String, String> avro = Map.of("connection.url", "jdbc:postgresql://pg:5432/db",
        "value.converter", "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url", "https://sr-1.internal:8081,https://sr-2.internal:8081");
    assertThat(first(avro)).as("the database first").isEqualTo("pg:5432");
    assertThat(Endpoints.pick(avro, true)).hasValueSatisfying(e -> {
      assertThat(e.toString()).isEqualTo("sr-1.internal:8081");
      assertThat(e.url()).isEqualTo("https://sr-1.internal:8081");
      assertThat(e.source()).isEqualTo("value.converter.schema.registry.url");
    });
    assertThat(first(Map.of("connection.url", "http://elastic.internal:9200"))).isEqualTo("elastic.internal:9200");
  }

  @Test
  void aConfigNamingNoEndpointGivesNone() {
    assertThat(Endpoints.from(Map.of("connector.class", "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "file", "/tmp/out.txt"))).isEmpty();
    assertThat(first(Map.of("connection.url", "jdbc:postgresql://:5432/db"))).isEqualTo("none");
    assertThat(first(Map.of("connection.url", "jdbc:postgresql://pg:99999/db"))).isEqualTo("none");
  }
}
