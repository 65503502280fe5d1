package io.strand.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real full disk: the data directory on a 48 MiB tmpfs made by the test (root can mount here; the
 * test is skipped where it cannot). A filler file takes most of the space; appends run until the
 * free-space floor answers 507 and readiness goes DOWN; nothing acknowledged is lost; removing the
 * filler lets writes resume by themselves.
 */
class DiskFullIT {
    private final Path mount = Path.of("target", "diskfull-" + ProcessHandle.current().pid()).toAbsolutePath();

    @AfterEach
    void unmount() throws Exception {
        new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        Files.deleteIfExists(mount);
    }

    @Test
    void shouldAnswer507OnAFullDiskAndResumeWhenSpaceReturns() throws Exception {
        Files.createDirectories(mount);
        int mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString())
                .inheritIO().start().waitFor();
        Assumptions.assumeTrue(mounted == 0, "cannot mount a tmpfs here (needs root): the floor is tested by DiskFullTest");
        Path filler = mount.resolve("filler");
        Files.write(filler, new byte[24 << 20]);
        Path data = mount.resolve("data");
        List<String> acked = new ArrayList<>();
        try (ServerProcess server = ServerProcess.start(data, "strand.log.segment-size=4M",
                "strand.log.transient-pool.buffers=4", "strand.log.transient-pool.buffer-size=1M",
                "strand.max-event-size=64K", "strand.disk.min-free=6M", "strand.disk.check-interval=100ms")) {
            server.awaitStatus("/q/health/ready", 200, 60);
            String pad = "d".repeat(8000);
            int status = 0;
            for (int i = 0; i < 10_000 && status != 507; i++) {
                HttpResponse<String> r = server.postJson("/streams/full", "{\"type\":\"F\",\"data\":{\"i\":" + i + ",\"pad\":\"" + pad + "\"}}");
                status = r.statusCode();
                if (status == 201) {
                    acked.add(new JsonObject(r.body()).getLong("firstVersion") + "");
                } else {
                    assertTrue(status == 507 || status == 503, r.statusCode() + " " + r.body());
                }
            }
            assertEquals(507, status, "appends are refused with 507 once the disk is nearly full");
            assertTrue(acked.size() > 100, "appends went through before: " + acked.size());
            server.awaitStatus("/q/health/ready", 503, 10);
            for (String v : acked) {
                assertEquals(200, server.get("/streams/full/" + v).statusCode(), "acknowledged version " + v + " is readable");
            }
            Files.delete(filler); // space returns
            server.awaitStatus("/q/health/ready", 200, 30);
            HttpResponse<String> again = server.postJson("/streams/full", "{\"type\":\"F\",\"data\":{\"after\":true}}");
            assertEquals(201, again.statusCode(), again.body());
            server.terminate(60);
        }
        try (ServerProcess restarted = ServerProcess.start(data, "strand.log.segment-size=4M",
                "strand.log.transient-pool.buffers=4", "strand.log.transient-pool.buffer-size=1M",
                "strand.max-event-size=64K", "strand.disk.min-free=1M")) {
            restarted.awaitStatus("/q/health/ready", 200, 60);
            JsonObject info = new JsonObject(restarted.get("/streams/full?direction=backward&limit=1").body());
            assertEquals(acked.size(), info.getJsonArray("events").getJsonObject(0).getLong("version"),
                    "every acknowledged event and the one after the disk freed up are there");
            restarted.terminate(60);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * No floor at all (min-free 0, so a momentarily full disk while the allocator tries is not
     * answered by the floor first): the log runs into the end of the disk when it cannot create the
     * next segment. Appends get 507, readiness goes DOWN, liveness stays UP (the commit
     * thread is alive and retrying: a restart would not help), and freeing space resumes writes.
     */
    @Test
    void shouldStayLiveWhileTheNextSegmentCannotBeCreated() throws Exception {
        Files.createDirectories(mount);
        int mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString())
                .inheritIO().start().waitFor();
        Assumptions.assumeTrue(mounted == 0, "cannot mount a tmpfs here (needs root)");
        Path filler = mount.resolve("filler");
        Files.write(filler, new byte[30 << 20]);
        Path data = mount.resolve("data");
        List<String> acked = new ArrayList<>();
        try (ServerProcess server = ServerProcess.start(data, "strand.log.segment-size=4M",
                "strand.log.transient-pool.buffers=4", "strand.log.transient-pool.buffer-size=1M",
                "strand.max-event-size=64K", "strand.disk.min-free=0", "strand.disk.check-interval=100ms",
                "strand.health.stall-timeout=1s", "strand.http.append-timeout=1s")) {
            server.awaitStatus("/q/health/ready", 200, 60);
            String pad = "d".repeat(8000);
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            boolean pendingAnswered = false;
            int status = 0;
            for (int i = 0; i < 10_000 && status != 507; i++) {
                java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(server.uri("/streams/full"))
                        .timeout(java.time.Duration.ofSeconds(3)).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                "{\"type\":\"F\",\"data\":{\"i\":" + i + ",\"pad\":\"" + pad + "\"}}")).build();
                try {
                    HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                    status = r.statusCode();
                    if (status == 201) {
                        acked.add(new JsonObject(r.body()).getLong("firstVersion") + "");
                    } else {
                        assertTrue(status == 507 || status == 503, r.statusCode() + " " + r.body());
                        if (status == 503 && r.body().contains("urn:strand:problem:append-timeout")) {
                            pendingAnswered = true; // staged, waiting for a segment: answered after 1 s
                            assertTrue(r.headers().firstValue("Retry-After").isPresent());
                        }
                    }
                } catch (java.net.http.HttpTimeoutException waiting) {
                    status = -1; // the server never answered the waiting append
                }
            }
            assertTrue(pendingAnswered, "the append waiting for a segment got 503 after strand.http.append-timeout");
            HttpResponse<String> refused = server.postJson("/streams/full", "{\"type\":\"F\",\"data\":1}");
            assertEquals(507, refused.statusCode(), refused.body());
            assertTrue(acked.size() > 100, "appends went through before: " + acked.size());
            server.awaitStatus("/q/health/ready", 503, 10);
            assertEquals(200, server.get("/q/health/live").statusCode()); // the stall clock starts here...
            Thread.sleep(2500); // ...and runs longer than the stall timeout, with bytes pending
            HttpResponse<String> live = server.get("/q/health/live");
            assertEquals(200, live.statusCode(), "liveness stays UP while waiting for disk space: " + live.body());
            for (String v : acked) {
                assertEquals(200, server.get("/streams/full/" + v).statusCode(), "acknowledged version " + v + " is readable");
            }
            Files.delete(filler);
            server.awaitStatus("/q/health/ready", 200, 30);
            HttpResponse<String> again = server.postJson("/streams/full", "{\"type\":\"F\",\"data\":{\"after\":true}}");
            assertEquals(201, again.statusCode(), again.body());
            assertEquals(200, server.get("/q/health/live").statusCode());
            server.terminate(60);
        }
    }
}
