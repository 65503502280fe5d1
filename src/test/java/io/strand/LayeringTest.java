package io.strand;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.ViolationHandler;
import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every arrow of the layer picture in DESIGN.md ("Layers") as an ArchUnit rule over the compiled
 * classes (bytecode: static imports and fully qualified names count as much as imports):
 *
 * <pre>
 *   http    -> store, ops, (cluster)
 *   ops     -> store, (cluster)
 *   cluster -> store, index, log        (Ratis; no framework)
 *   store   -> index, log               (+ Mutiny, no other framework)
 *   index   -> log                      (no framework)
 *   log     -> nothing of Strand        (no framework)
 *   nothing -> http
 * </pre>
 *
 * The core (log, index, store, cluster) imports nothing from Quarkus, Vert.x, JAX-RS, RESTEasy,
 * SmallRye (Mutiny excepted, in store only), CDI or MicroProfile: it is an embeddable library (Kafka
 * enforces the same with import-control for its storage module). The same rules run over a small set of
 * test-only classes that break each of them ({@code io.strand.layering.fixture}), proving they catch a
 * violation. Bytecode has one blind spot: a compile-time constant ({@code static final} primitive or
 * String) is inlined by javac and leaves no reference behind.
 */
class LayeringTest {
    private static final String[] FRAMEWORKS = {"io.quarkus..", "io.vertx..", "jakarta.ws.rs..", "org.jboss.resteasy..",
            "io.smallrye..", "jakarta.enterprise..", "jakarta.inject..", "org.eclipse.microprofile.."};
    private static final String[] FRAMEWORKS_BUT_MUTINY = {"io.quarkus..", "io.vertx..", "jakarta.ws.rs..",
            "org.jboss.resteasy..", "jakarta.enterprise..", "jakarta.inject..", "org.eclipse.microprofile.."};

    /** The rules for the layers under {@code root} (io.strand, or the fixture's root), by name. */
    static Map<String, ArchRule> rules(String root) {
        Map<String, ArchRule> rules = new LinkedHashMap<>();
        rules.put("log", layer(root, "log"));
        rules.put("index", layer(root, "index", "log"));
        rules.put("store", layer(root, "store", "index", "log"));
        rules.put("cluster", layer(root, "cluster", "store", "index", "log"));
        rules.put("ops", layer(root, "ops", "store", "cluster"));
        rules.put("http", layer(root, "http", "store", "ops", "cluster"));
        rules.put("core without frameworks", noClasses()
                .that().resideInAnyPackage(root + ".log..", root + ".index..", root + ".cluster..")
                .should().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
                .because("log, index and cluster are plain Java, embeddable without Quarkus"));
        rules.put("store without frameworks but Mutiny", noClasses()
                .that().resideInAPackage(root + ".store..")
                .should().dependOnClassesThat(resideInAnyPackage(FRAMEWORKS_BUT_MUTINY)
                        .or(resideInAPackage("io.smallrye..").and(resideOutsideOfPackage("io.smallrye.mutiny.."))))
                .because("the store is plain Java plus Mutiny for subscriptions"));
        rules.put("nothing depends on http", noClasses()
                .that().resideOutsideOfPackage(root + ".http..")
                .should().dependOnClassesThat().resideInAPackage(root + ".http..")
                .because("http is the outermost layer"));
        return rules;
    }

    /** Classes of {@code root.layer} depend on no class of {@code root} outside their own layer and {@code allowed}. */
    private static ArchRule layer(String root, String layer, String... allowed) {
        String[] packages = new String[allowed.length + 1];
        packages[0] = root + "." + layer + "..";
        for (int i = 0; i < allowed.length; i++) {
            packages[i + 1] = root + "." + allowed[i] + "..";
        }
        DescribedPredicate<JavaClass> ok = resideOutsideOfPackage(root + "..").or(resideInAnyPackage(packages));
        return classes().that().resideInAPackage(root + "." + layer + "..")
                .should().onlyDependOnClassesThat(ok)
                .because(layer + " may only use " + (allowed.length == 0 ? "nothing else of Strand" : String.join(", ", allowed)));
    }

    @Test
    void shouldKeepEveryArrowOfTheLayerPicture() {
        JavaClasses main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.strand");
        for (ArchRule rule : rules("io.strand").values()) {
            rule.check(main);
        }
    }

    @Test
    void shouldCatchEachKindOfViolation() {
        String root = "io.strand.layering.fixture";
        JavaClasses fixture = new ClassFileImporter().importPackages(root);
        Map<String, Set<String>> expected = new LinkedHashMap<>();
        expected.put("log", Set.of("log.LogRecord"));                    // log -> index
        expected.put("index", Set.of("index.IndexEntry"));               // index -> store
        expected.put("store", Set.of("store.VertxStore"));               // store -> ops
        expected.put("cluster", Set.of("cluster.Replicator"));           // cluster -> ops, by a static import
        expected.put("ops", Set.of("ops.OpsHelper", "ops.OpsUsesHttp")); // ops -> log, ops -> http
        expected.put("http", Set.of("http.Routes"));                     // http -> log, by a qualified name
        expected.put("core without frameworks", Set.of("log.LogRecord", "cluster.Replicator")); // Mutiny, Quarkus
        expected.put("store without frameworks but Mutiny", Set.of("store.VertxStore")); // not Streams (Mutiny)
        expected.put("nothing depends on http", Set.of("ops.OpsUsesHttp"));
        Map<String, ArchRule> rules = rules(root);
        assertEquals(expected.keySet(), rules.keySet(), "every rule has a fixture that breaks it");
        for (Map.Entry<String, ArchRule> e : rules.entrySet()) {
            EvaluationResult result = e.getValue().evaluate(fixture);
            Set<String> violators = new TreeSet<>();
            result.handleViolations(new ViolationHandler<Dependency>() {
                @Override
                public void handle(Collection<Dependency> violatingObjects, String message) {
                    for (Dependency d : violatingObjects) {
                        violators.add(d.getOriginClass().getName().substring(root.length() + 1));
                    }
                }
            });
            assertEquals(new TreeSet<>(expected.get(e.getKey())), violators, () -> "rule " + e.getKey() + " reported:\n"
                    + String.join("\n", result.getFailureReport().getDetails()));
        }
    }

    @Test
    void shouldFailOnALayerWithNoClasses() {
        JavaClasses main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.strand");
        // the cluster layer holds real classes now; a typo in a layer's name must not pass vacuously
        assertFalse(rules("io.strand").get("cluster").evaluate(main).hasViolation());
        AssertionError empty = assertThrows(AssertionError.class, () -> layerOf("io.strand", "nosuchlayer").evaluate(main),
                "a rule over a package with no classes fails instead of passing silently");
        assertTrue(empty.getMessage().contains("failed to check any classes"), empty.getMessage());
    }

    private static ArchRule layerOf(String root, String layer) {
        return classes().that().resideInAPackage(root + "." + layer + "..").should().onlyDependOnClassesThat(
                resideOutsideOfPackage(root + ".."));
    }
}
