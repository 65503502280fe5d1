package io.strand.it;

import io.strand.log.ChildJvm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A start after a crash with a long log: while recovery and the index rebuild run, the HTTP server
 * is up, the startup probe is DOWN and shows progress, and data requests get 503 with Retry-After.
 */
class StartupProgressIT {

    @Test
    void shouldReportProgressAndAnswer503WhileRecovering(@TempDir Path dir) throws Exception {
        Process writer = ChildJvm.start(List.of(), "1g", CrashWriter.class, dir.toString(), "3000000");
        assertTrue(writer.waitFor(5, TimeUnit.MINUTES), "the writer finished");
        String out = new String(writer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.contains("WROTE "), out);

        // SIGTERM while recovering: the scan is cancelled and the process exits well within the
        // shutdown timeout, leaving the log for the next start to recover.
        try (ServerProcess stopped = ServerProcess.start(dir, "quarkus.shutdown.delay=0s")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                try {
                    if (stopped.get("/q/health/started").statusCode() == 503) {
                        break;
                    }
                } catch (IOException notListening) {
                    Thread.sleep(10);
                }
            }
            long t = System.nanoTime();
            stopped.terminate(20);
            assertTrue(System.nanoTime() - t < TimeUnit.SECONDS.toNanos(20), "stopped during recovery");
        }

        try (ServerProcess server = ServerProcess.start(dir)) {
            boolean sawProgress = false;
            boolean saw503 = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                HttpResponse<String> started;
                try {
                    started = server.get("/q/health/started");
                } catch (IOException notListening) {
                    Thread.sleep(10);
                    continue;
                }
                if (started.statusCode() == 200) {
                    break;
                }
                JsonObject data = new JsonObject(started.body()).getJsonArray("checks").getJsonObject(0).getJsonObject("data");
                if (data.getLong("totalBytes") > 0 && data.getString("phase").matches("log-scan|index-load|index-rebuild")) {
                    sawProgress = true;
                }
                HttpResponse<String> read = server.get("/streams");
                if (read.statusCode() == 503) {
                    assertTrue(read.headers().firstValue("Retry-After").isPresent());
                    assertEquals("application/problem+json", read.headers().firstValue("Content-Type").orElse(""));
                    saw503 = true;
                }
                Thread.sleep(10);
            }
            assertTrue(sawProgress, "the startup probe showed recovery progress\n" + server.output());
            assertTrue(saw503, "data requests got 503 while recovering");
            server.awaitStatus("/q/health/ready", 200, 120);
            // Strand's meters are registered at start, before any append or fsync
            String metrics = server.get("/q/metrics").body();
            for (String name : new String[]{"strand_appends_total", "strand_log_segments", "strand_pool_memory_locked",
                    "strand_commit_lag_bytes", "strand_disk_free_bytes"}) {
                assertTrue(metrics.contains(name), name + " on an idle server's /q/metrics");
            }
            JsonObject finished = new JsonObject(server.get("/q/health/started").body()).getJsonArray("checks")
                    .getJsonObject(0).getJsonObject("data");
            assertEquals(finished.getLong("totalBytes"), finished.getLong("doneBytes"), finished.encode());
            assertEquals(200, server.get("/streams/crash-0/0").statusCode());
            assertTrue(server.output().contains("rebuiltFromLog="), server.output());
            server.terminate(60);
        }
    }
}
