package io.runbookd;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The walls between layers, read from the compiled main classes: model, policy, rules and alert do no
 * I/O and know nothing of the runners around them; the store knows nothing of the engine, HTTP or
 * notifiers; HTTP reaches the daemon only through the engine's façade ({@code Operations}), never the
 * store. A wrong-way dependency fails the build with the offending class and line.
 */
class ArchitectureTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.runbookd");
  }

  /** Packages of I/O: Vert.x (but its JSON values), JDBC, the drivers, the pool, migrations, Kafka clients. */
  private static final String[] IO = {
      "io.vertx..", "java.sql..", "javax.sql..", "org.postgresql..", "org.sqlite..", "com.zaxxer..", "org.flywaydb..",
      "org.apache.kafka.."};

  private static final DescribedPredicate<JavaClass> IO_EXCEPT_VERTX_JSON =
      DescribedPredicate.describe("an I/O package (Vert.x except io.vertx.core.json, JDBC, drivers, Kafka clients)",
          c -> !c.getPackageName().startsWith("io.vertx.core.json") && matchesAny(c.getPackageName()));

  private static boolean matchesAny(String pkg) {
    for (String p : IO) {
      String prefix = p.substring(0, p.length() - 2);
      if (pkg.equals(prefix) || pkg.startsWith(prefix + ".")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void modelPolicyRulesAndAlertDoNoIo() {
    ArchRule rule = noClasses().that().resideInAnyPackage("io.runbookd.model..", "io.runbookd.policy..",
            "io.runbookd.rules..", "io.runbookd.alert..")
        .should().dependOnClassesThat(IO_EXCEPT_VERTX_JSON)
        .because("decisions are pure functions of their inputs, tested with a stepped clock");
    rule.check(main);
  }

  @Test
  void modelPolicyRulesAndAlertKnowNothingOfTheRunnersAroundThem() {
    ArchRule rule = noClasses().that().resideInAnyPackage("io.runbookd.model..", "io.runbookd.policy..",
            "io.runbookd.rules..", "io.runbookd.alert..")
        .should().dependOnClassesThat().resideInAnyPackage("io.runbookd.store..", "io.runbookd.http..",
            "io.runbookd.notify..", "io.runbookd.engine..", "io.runbookd.connect..", "io.runbookd.cli..",
            "io.runbookd.probe..")
        .orShould().dependOnClassesThat().resideInAPackage("io.runbookd");
    rule.check(main);
  }

  @Test
  void theModelIsRecordsOnly() {
    ArchRule rule = classes().that().resideInAPackage("io.runbookd.model..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("io.runbookd.model..", "java..", "com.fasterxml.jackson..");
    rule.check(main);
  }

  @Test
  void theStoreKnowsNothingOfTheEngineHttpOrNotifiers() {
    ArchRule rule = noClasses().that().resideInAPackage("io.runbookd.store..")
        .should().dependOnClassesThat().resideInAnyPackage("io.runbookd.engine..", "io.runbookd.http..",
            "io.runbookd.notify..");
    rule.check(main);
  }

  @Test
  void httpReachesTheDaemonOnlyThroughTheFacade() {
    ArchRule noStore = noClasses().that().resideInAPackage("io.runbookd.http..")
        .should().dependOnClassesThat().resideInAnyPackage("io.runbookd.store..", "io.runbookd.notify..",
            "io.runbookd.connect..", "io.runbookd.probe..")
        .orShould().dependOnClassesThat().resideInAPackage("io.runbookd");
    noStore.check(main);
    ArchRule facadeOnly = noClasses().that().resideInAPackage("io.runbookd.http..")
        .should().dependOnClassesThat(DescribedPredicate.describe("an engine class other than the façade and its values",
            c -> c.getPackageName().equals("io.runbookd.engine") && !FACADE.contains(c.getSimpleName())
                && !FACADE.contains(c.getEnclosingClass().map(JavaClass::getSimpleName).orElse(""))));
    facadeOnly.check(main);
  }

  @Test
  void theProberIsOneExternalSystemBehindItsInterface() {
    noClasses().that().resideInAPackage("io.runbookd.probe..")
        .should().dependOnClassesThat().resideInAnyPackage("io.runbookd.engine..", "io.runbookd.store..",
            "io.runbookd.http..", "io.runbookd.notify..", "io.runbookd.connect..")
        .check(main);
    classes().that().resideInAPackage("io.runbookd.probe..").and().areNotInterfaces().should().notBePublic()
        .check(main);
  }

  @Test
  void outboundHttpCallsAreOneExternalSystemBehindTheirInterfaces() {
    noClasses().that().resideInAPackage("io.runbookd.callout..")
        .should().dependOnClassesThat().resideInAnyPackage("io.runbookd.engine..", "io.runbookd.store..",
            "io.runbookd.http..", "io.runbookd.notify..", "io.runbookd.connect..", "io.runbookd.probe..",
            "io.runbookd.kafka..", "io.runbookd.rules..", "io.runbookd.policy..")
        .check(main);
    classes().that().resideInAPackage("io.runbookd.callout..").and().areNotInterfaces().and().areTopLevelClasses()
        .and().doNotHaveSimpleName("Alertmanagers")
        .should().notBePublic()
        .check(main);
  }

  @Test
  void kafkaIsOneExternalSystemBehindItsInterface() {
    noClasses().that().resideInAPackage("io.runbookd.kafka..")
        .should().dependOnClassesThat().resideInAnyPackage("io.runbookd.engine..", "io.runbookd.store..",
            "io.runbookd.http..", "io.runbookd.notify..", "io.runbookd.connect..", "io.runbookd.probe..",
            "io.runbookd.rules..", "io.runbookd.policy..")
        .check(main);
    classes().that().resideInAPackage("io.runbookd.kafka..").and().areNotInterfaces()
        .and().doNotHaveSimpleName("KafkaClusters").and().areNotAssignableTo(io.runbookd.kafka.KafkaOpsException.class)
        .and().areNotEnums()
        .should().notBePublic()
        .check(main);
    noClasses().that().resideOutsideOfPackage("io.runbookd.kafka..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..")
        .because("the Kafka clients are used only behind io.runbookd.kafka.KafkaOps")
        .check(main);
  }

  private static final java.util.Set<String> FACADE =
      java.util.Set.of("Operations", "IncidentDetail", "ServiceUnavailableException", "AlertExplanation",
          "ClusterGuardState", "ActionRequest", "ActionOutcome");
}
