package io.strand.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged server ({@code target/quarkus-app/quarkus-run.jar}, built by {@code package} before
 * the integration tests run) as a real child process on 127.0.0.1, with its own data directory and port.
 */
final class ServerProcess implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final int port;
    final Process process;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final Thread copier;

    private ServerProcess(int port, Process process) {
        this.port = port;
        this.process = process;
        copier = new Thread(() -> copy(process.getInputStream()), "server-output");
        copier.setDaemon(true);
        copier.start();
    }

    static ServerProcess start(Path dataDir, String... properties) throws IOException {
        return start(dataDir, freePort(), properties);
    }

    /** A port nothing listens on right now (the OS's choice). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts the server on a fixed port (e.g. a cluster node, whose peers know its port, restarted on
     * the same data directory).
     */
    static ServerProcess start(Path dataDir, int port, String... properties) throws IOException {
        Path jar = Paths.get("target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("run the integration tests after package: " + jar + " is missing");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        if (Runtime.version().feature() >= 21) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.add("-Dquarkus.http.host=127.0.0.1");
        cmd.add("-Dquarkus.http.port=" + port);
        cmd.add("-Dstrand.data-dir=" + dataDir);
        cmd.add("-Dstrand.log.segment-size=64M");
        cmd.add("-Dstrand.log.transient-pool.buffers=4");
        cmd.add("-Dstrand.log.transient-pool.buffer-size=4M");
        for (String p : properties) {
            cmd.add("-D" + p);
        }
        cmd.add("-jar");
        cmd.add(jar.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return new ServerProcess(port, p);
    }

    private void copy(InputStream in) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (output) {
                    output.write(buf, 0, n);
                }
            }
        } catch (IOException ignored) {
            // exited
        }
    }

    String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postJson(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until {@code path} answers {@code status}; fails after {@code seconds}. */
    void awaitStatus(String path, int status, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the server exited: " + process.exitValue() + "\n" + output());
            }
            try {
                if (get(path).statusCode() == status) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new AssertionError(path + " did not answer " + status + " within " + seconds + " s\n" + output());
    }

    /** SIGTERM, then waits for the exit. */
    int terminate(int seconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the server did not stop within " + seconds + " s after SIGTERM\n" + output());
        }
        copier.join(10_000); // everything it printed, up to its exit
        return process.exitValue();
    }

    long pid() {
        return process.pid();
    }

    /** SIGSTOP: the process freezes (sockets stay open, nothing answers) until {@link #resume}. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).redirectErrorStream(true).start();
        String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + pid() + " failed: " + out);
        }
    }

    /** SIGKILL, then waits for the exit and for everything it printed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the server " + pid() + " did not die within 30 s of SIGKILL");
        }
        copier.join(10_000);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
