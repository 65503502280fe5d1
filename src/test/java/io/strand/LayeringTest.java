package io.strand;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The core layers (log, index, store) are an embeddable library: they import nothing from
 * Quarkus, Vert.x, JAX-RS or CDI (Kafka enforces the same for its storage module). Mutiny is
 * allowed in store only. This test reads the sources and fails loudly on any such import.
 */
class LayeringTest {
    private static final List<String> FORBIDDEN_IN_CORE = List.of(
            "import io.quarkus", "import io.vertx", "import jakarta.ws.rs", "import jakarta.enterprise",
            "import jakarta.inject", "import org.jboss.resteasy", "import io.smallrye.config",
            "import org.eclipse.microprofile", "import io.strand.http", "import io.strand.ops");

    @Test
    void shouldKeepTheCoreLayersFreeOfFrameworkImports() throws IOException {
        List<String> violations = new ArrayList<>();
        check("log", List.of("import io.smallrye.mutiny", "import io.strand.index", "import io.strand.store"), violations);
        check("index", List.of("import io.smallrye.mutiny", "import io.strand.store"), violations);
        check("store", List.of(), violations);
        assertTrue(violations.isEmpty(), () -> "layer violations:\n" + String.join("\n", violations));
    }

    private static void check(String layer, List<String> extra, List<String> violations) throws IOException {
        Path dir = Path.of("src/main/java/io/strand", layer);
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<String> forbidden = new ArrayList<>(FORBIDDEN_IN_CORE);
        forbidden.addAll(extra);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                for (String line : Files.readAllLines(f)) {
                    for (String prefix : forbidden) {
                        if (line.trim().startsWith(prefix)) {
                            violations.add(f + ": " + line.trim());
                        }
                    }
                }
            }
        }
    }
}
