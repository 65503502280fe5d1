package io.strand.log;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Starts a main class of the test classpath in a child JVM, optionally behind a wrapper command. */
public final class ChildJvm {
    private ChildJvm() {
    }

    public static Process start(List<String> wrapper, Class<?> main, String... args) throws IOException {
        return start(wrapper, "256m", main, args);
    }

    public static Process start(List<String> wrapper, String maxHeap, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        cmd.add(java.toString());
        cmd.add("-Xmx" + maxHeap);
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Djava.util.logging.manager=org.jboss.logmanager.LogManager"); // as under Quarkus; quiets its warning
        if (Runtime.version().feature() >= 21) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
