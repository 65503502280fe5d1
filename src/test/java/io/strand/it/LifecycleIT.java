package io.strand.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stream lifecycle on the packaged server across a {@code kill -9} right after the 204s, then a
 * clean restart: a soft-deleted stream answers 404 {@code stream-deleted} until its next append
 * (which continues at the next version), a tombstoned one 410 {@code stream-tombstoned} for ever,
 * and a stream's metadata (maxCount, custom) still hides what it hid and reads back the same.
 */
class LifecycleIT {
    private static final String CUSTOM = "{\"owner\":\"billing\",\"tags\":[\"a\",\"b\"],\"n\":3}";

    private static HttpResponse<String> send(ServerProcess server, HttpRequest.Builder request) throws Exception {
        return ServerProcess.HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> delete(ServerProcess server, String path, String expectedVersion) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(server.uri(path)).DELETE();
        if (expectedVersion != null) {
            r.header("Expected-Version", expectedVersion);
        }
        return send(server, r);
    }

    private static HttpResponse<String> putJson(ServerProcess server, String path, String body) throws Exception {
        return send(server, HttpRequest.newBuilder(server.uri(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static HttpResponse<String> append(ServerProcess server, String stream, String expectedVersion, int n)
            throws Exception {
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            batch.append(i > 0 ? "," : "").append("{\"type\":\"E\",\"data\":{\"i\":").append(i).append("}}");
        }
        HttpRequest.Builder r = HttpRequest.newBuilder(server.uri("/streams/" + stream))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(batch.append(']').toString()));
        if (expectedVersion != null) {
            r.header("Expected-Version", expectedVersion);
        }
        return send(server, r);
    }

    private static List<Long> versions(ServerProcess server, String pathAndQuery) throws Exception {
        HttpResponse<String> r = server.get(pathAndQuery);
        assertEquals(200, r.statusCode(), pathAndQuery + ": " + r.body());
        JsonArray events = new JsonObject(r.body()).getJsonArray("events");
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            out.add(events.getJsonObject(i).getLong("version"));
        }
        return out;
    }

    private static void assertProblem(HttpResponse<String> r, int status, String type, String what) {
        assertEquals(status, r.statusCode(), what + ": " + r.body());
        assertEquals("urn:strand:problem:" + type, new JsonObject(r.body()).getString("type"), what + ": " + r.body());
    }

    private static JsonObject metadata(ServerProcess server, String stream) throws Exception {
        HttpResponse<String> r = server.get("/streams/" + stream + "/metadata");
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    private static List<String> listed(ServerProcess server) throws Exception {
        HttpResponse<String> r = server.get("/streams?prefix=lc-");
        assertEquals(200, r.statusCode(), r.body());
        JsonArray streams = new JsonObject(r.body()).getJsonArray("streams");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < streams.size(); i++) {
            names.add(streams.getJsonObject(i).getString("name"));
        }
        return names;
    }

    /** lc-soft: 5 events, deleted; lc-hard: 3 events, tombstoned; lc-meta: 10 events, maxCount 3 and custom. */
    private static void assertRules(ServerProcess server, JsonObject metaBefore, String when) throws Exception {
        assertProblem(server.get("/streams/lc-soft"), 404, "stream-deleted", when + ", soft read");
        assertProblem(server.get("/streams/lc-soft/4"), 404, "stream-deleted", when + ", soft event");
        assertProblem(server.get("/streams/lc-soft?direction=backward"), 404, "stream-deleted", when + ", soft backward");
        JsonObject soft = metadata(server, "lc-soft");
        assertTrue(soft.getBoolean("deleted"), when + ": " + soft);

        assertProblem(server.get("/streams/lc-hard"), 410, "stream-tombstoned", when + ", hard read");
        assertProblem(server.get("/streams/lc-hard/0"), 410, "stream-tombstoned", when + ", hard event");
        assertProblem(server.get("/streams/lc-hard/metadata"), 410, "stream-tombstoned", when + ", hard metadata");
        assertProblem(append(server, "lc-hard", null, 1), 410, "stream-tombstoned", when + ", hard append");
        assertProblem(append(server, "lc-hard", "no-stream", 1), 410, "stream-tombstoned", when + ", hard no-stream append");
        assertProblem(delete(server, "/streams/lc-hard", null), 410, "stream-tombstoned", when + ", hard delete");
        assertProblem(putJson(server, "/streams/lc-hard/metadata", "{\"maxCount\":1}"), 410, "stream-tombstoned",
                when + ", hard metadata change");

        assertEquals(List.of(7L, 8L, 9L), versions(server, "/streams/lc-meta"), when + ": maxCount 3 of 10");
        assertEquals(List.of(9L, 8L, 7L), versions(server, "/streams/lc-meta?direction=backward"), when);
        assertEquals(List.of(7L, 8L), versions(server, "/streams/lc-meta?from=0&limit=2"), when);
        assertEquals(404, server.get("/streams/lc-meta/6").statusCode(), when + ": hidden by maxCount");
        assertEquals(metaBefore, metadata(server, "lc-meta"), when + ": GET metadata");

        List<String> names = listed(server);
        assertEquals(List.of("lc-meta"), names, when + ": deleted and tombstoned streams leave the list");
    }

    @Test
    void lifecycleHoldsAcrossAKillAndACleanRestart(@TempDir Path dir) throws Exception {
        JsonObject metaBefore;
        try (ServerProcess server = ServerProcess.start(dir)) {
            server.awaitStatus("/q/health/ready", 200, 60);
            assertEquals(201, append(server, "lc-soft", null, 5).statusCode());
            assertEquals(201, append(server, "lc-hard", null, 3).statusCode());
            assertEquals(201, append(server, "lc-meta", null, 10).statusCode());
            assertProblem(delete(server, "/streams/lc-soft", "3"), 409, "wrong-expected-version", "a guarded delete");
            assertEquals(204, delete(server, "/streams/lc-soft", "4").statusCode());
            assertEquals(204, delete(server, "/streams/lc-hard?hard=true", null).statusCode());
            assertEquals(204, putJson(server, "/streams/lc-meta/metadata", "{\"maxCount\":3,\"custom\":" + CUSTOM + "}")
                    .statusCode());
            metaBefore = metadata(server, "lc-meta");
            server.kill(); // right after the 204s
        }
        try (ServerProcess server = ServerProcess.start(dir)) {
            server.awaitStatus("/q/health/ready", 200, 60);
            assertEquals(3L, metaBefore.getLong("maxCount"));
            assertEquals(new JsonObject(CUSTOM), metaBefore.getJsonObject("custom"));
            assertEquals(7L, metaBefore.getLong("firstVisibleVersion"));
            assertEquals(9L, metaBefore.getLong("lastVersion"));
            assertFalse(metaBefore.getBoolean("deleted"));
            assertRules(server, metaBefore, "after kill -9");
            // The append after the delete: no stream to expect, and the versions continue.
            assertProblem(append(server, "lc-soft", "exists", 1), 409, "wrong-expected-version", "exists after a delete");
            HttpResponse<String> revived = append(server, "lc-soft", "no-stream", 2);
            assertEquals(201, revived.statusCode(), revived.body());
            assertEquals(5L, new JsonObject(revived.body()).getLong("firstVersion"), revived.body());
            assertEquals(List.of(5L, 6L), versions(server, "/streams/lc-soft?from=0"));
            assertEquals(404, server.get("/streams/lc-soft/4").statusCode(), "below the delete's mark: hidden");
            assertEquals(201, append(server, "lc-meta", "9", 1).statusCode());
            assertEquals(List.of(8L, 9L, 10L), versions(server, "/streams/lc-meta"), "maxCount keeps the newest");
            int exit = server.terminate(30);
            assertTrue(exit == 0 || exit == 143, "a clean stop: exit status " + exit + "\n" + server.output());
        }
        try (ServerProcess server = ServerProcess.start(dir)) {
            server.awaitStatus("/q/health/ready", 200, 60);
            JsonObject started = new JsonObject(server.get("/q/health/started").body());
            assertEquals(true, started.getJsonArray("checks").getJsonObject(0).getJsonObject("data")
                    .getBoolean("recoveredCleanly"), "a clean restart: " + started.encode());
            assertEquals(List.of(5L, 6L), versions(server, "/streams/lc-soft"), "after a clean restart");
            assertFalse(metadata(server, "lc-soft").getBoolean("deleted"));
            assertProblem(server.get("/streams/lc-hard"), 410, "stream-tombstoned", "after a clean restart");
            assertProblem(append(server, "lc-hard", null, 1), 410, "stream-tombstoned", "after a clean restart");
            assertEquals(List.of(8L, 9L, 10L), versions(server, "/streams/lc-meta"), "after a clean restart");
            JsonObject meta = metadata(server, "lc-meta");
            assertEquals(metaBefore.copy().put("firstVisibleVersion", 8).put("lastVersion", 10), meta);
            assertEquals(List.of("lc-meta", "lc-soft"), listed(server).stream().sorted().toList());
            assertEquals(7L, new JsonObject(append(server, "lc-soft", "6", 1).body()).getLong("firstVersion"));
        }
    }
}
