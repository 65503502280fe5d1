package io.strand.store;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Small single-job classes (STYLE.md): no main source file over 400 lines, in any package; and
 * no store class hands itself to a collaborator ({@code new X(this)}).
 */
class StoreLayoutTest {
    private static final int MAX_LINES = 400;

    @Test
    void shouldKeepEveryStoreClassSmallAndFreeOfBackReferences() throws IOException {
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                List<String> lines = Files.readAllLines(f);
                if (lines.size() > MAX_LINES) {
                    violations.add(f + ": " + lines.size() + " lines");
                }
                if (!f.getParent().equals(Path.of("src/main/java/io/strand/store"))) {
                    continue;
                }
                for (String line : lines) {
                    if (line.matches(".*new \\w+(<>)?\\(this\\).*")) {
                        violations.add(f + ": hands itself to a collaborator: " + line.trim());
                    }
                }
            }
        }
        assertTrue(violations.isEmpty(), () -> String.join("\n", violations));
    }
}
