package io.strand.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM under load: the server stops taking writes, lets in-flight appends finish, ends
 * subscriptions cleanly, flushes and marks a clean shutdown; after a restart every acknowledged
 * event is there and the start took the clean path (nothing scanned).
 */
class GracefulShutdownIT {

    @Test
    void shouldKeepEveryAcknowledgedEventAndRestartCleanAfterSigterm(@TempDir Path dir) throws Exception {
        ConcurrentHashMap<String, String> acked = new ConcurrentHashMap<>(); // "stream/version" -> id
        AtomicInteger refused = new AtomicInteger();
        AtomicBoolean sseEndedCleanly = new AtomicBoolean();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ServerProcess server = ServerProcess.start(dir, "quarkus.shutdown.timeout=20s")) {
            server.awaitStatus("/q/health/ready", 200, 60);
            Thread sse = new Thread(() -> {
                try {
                    HttpResponse<java.util.stream.Stream<String>> r = ServerProcess.HTTP.send(HttpRequest.newBuilder(
                                    server.uri("/all?from=end")).header("Accept", "text/event-stream").GET().build(),
                            HttpResponse.BodyHandlers.ofLines());
                    r.body().forEach(line -> { });
                    sseEndedCleanly.set(true); // the body ended: the server closed the stream, not a reset
                } catch (IOException | InterruptedException e) {
                    // a reset while shutting down would land here
                }
            });
            sse.start();
            Thread[] writers = new Thread[8];
            AtomicBoolean stop = new AtomicBoolean();
            for (int t = 0; t < writers.length; t++) {
                int thread = t;
                writers[t] = new Thread(() -> {
                    int i = 0;
                    while (!stop.get()) {
                        String id = UUID.randomUUID().toString();
                        try {
                            HttpResponse<String> r = server.postJson("/streams/shutdown-" + thread,
                                    "{\"id\":\"" + id + "\",\"type\":\"T\",\"data\":{\"i\":" + i++ + "}}");
                            if (r.statusCode() == 201) {
                                JsonObject o = new JsonObject(r.body());
                                acked.put(o.getString("stream") + "/" + o.getLong("firstVersion"), id);
                            } else if (r.statusCode() == 503) {
                                refused.incrementAndGet();
                            } else {
                                errors.add(new AssertionError("unexpected " + r.statusCode() + ": " + r.body()));
                            }
                        } catch (IOException e) {
                            refused.incrementAndGet(); // the server stopped listening
                            sleep();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                writers[t].start();
            }
            Thread.sleep(2000);
            assertTrue(acked.size() > 100, "load is running: " + acked.size());
            int exit = server.terminate(60);
            stop.set(true);
            for (Thread w : writers) {
                w.join(30_000);
            }
            sse.join(30_000);
            assertTrue(exit == 0 || exit == 143, "exit status " + exit + "\n" + server.output());
            // (The clean close itself is proven below: the restart finds the clean-shutdown marker.)
            assertTrue(sseEndedCleanly.get(), "the subscription was ended cleanly");
        }
        assertTrue(errors.isEmpty(), errors.toString());
        try (ServerProcess again = ServerProcess.start(dir)) {
            again.awaitStatus("/q/health/ready", 200, 60);
            JsonObject started = new JsonObject(again.get("/q/health/started").body());
            JsonObject data = started.getJsonArray("checks").getJsonObject(0).getJsonObject("data");
            assertEquals(true, data.getBoolean("recoveredCleanly"), started.encode());
            assertEquals(0L, data.getLong("scannedBytes"), "the clean path scans nothing");
            for (var e : acked.entrySet()) {
                HttpResponse<String> r = again.get("/streams/" + e.getKey());
                assertEquals(200, r.statusCode(), e.getKey() + ": " + r.body());
                assertEquals(e.getValue(), new JsonObject(r.body()).getString("id"), e.getKey());
            }
            again.terminate(60);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
