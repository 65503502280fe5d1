package io.strand.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared groups on the packaged server across a {@code kill -9} and a clean restart. 3,000 events in
 * a stream; a consumer works through the first 1,200 it is given, acking most (in shuffled batches,
 * so offsets above the resume point are settled out of order), parking every 100th and holding every
 * 10th; the server is killed right after the last ack's 204. After the restart a consumer is given
 * exactly the events neither acked nor parked, and once it acks them the group's figures add up. A
 * clean restart then keeps both groups, their settings and the parked events, which a replay delivers.
 */
class SharedGroupIT {
    private static final String STREAM = "orders-it";
    private static final int EVENTS = 3000;
    private static final int WORKED = 1200;
    private static final String WORKERS = "{\"stream\":\"" + STREAM + "\",\"maxInFlight\":300,\"ackTimeout\":600,\"maxDeliveries\":3}";
    private static final String TYPED = "{\"stream\":\"$all\",\"filter\":{\"type\":[\"Shipped\"],\"streamPrefix\":[\"orders-\"]},"
            + "\"from\":\"end\",\"strategy\":\"pinned\",\"maxInFlight\":7}";

    @Test
    void unackedEventsSurviveAKillAndGroupsTheirSettingsAndParkedEventsACleanRestart(@TempDir Path dir) throws Exception {
        List<String> all = new ArrayList<>();
        Set<String> acked = new HashSet<>();
        Set<String> parked = new HashSet<>();
        JsonObject typedBefore;
        try (ServerProcess server = ServerProcess.start(dir)) {
            server.awaitStatus("/q/health/ready", 200, 60);
            for (int b = 0; b < EVENTS / 500; b++) {
                HttpResponse<String> r = server.postJson("/streams/" + STREAM, batch(b * 500, 500));
                assertEquals(201, r.statusCode(), r.body());
            }
            assertEquals(201, put(server, "workers", WORKERS).statusCode());
            assertEquals(201, put(server, "typed", TYPED).statusCode());
            typedBefore = status(server, "typed");
            try (GroupStream c = GroupStream.open(server, "workers")) {
                Random random = new Random(14);
                List<String> ackLater = new ArrayList<>();
                int seen = 0;
                while (seen < WORKED) {
                    List<String> toAck = new ArrayList<>();
                    List<String> toPark = new ArrayList<>();
                    for (int i = 0; i < 100; i++, seen++) {
                        JsonObject e = c.next(30);
                        assertEquals(seen, e.getLong("version"), "one consumer gets the stream in order");
                        assertEquals(1, e.getJsonObject("delivery").getInteger("attempt"));
                        all.add(e.getString("id"));
                        if (seen % 10 == 9) {
                            continue; // held: never acked
                        }
                        (seen % 100 == 50 ? toPark : toAck).add(e.getString("id"));
                    }
                    assertEquals(204, post(server, "/groups/workers/nack", ids(toPark).put("action", "park")).statusCode());
                    parked.addAll(toPark);
                    Collections.shuffle(toAck, random);
                    ackLater.addAll(toAck.subList(0, 10)); // acked with the next hundred: out of order
                    for (int k = 10; k < toAck.size(); k += 22) {
                        ack(server, toAck.subList(k, Math.min(toAck.size(), k + 22)));
                    }
                    acked.addAll(toAck.subList(10, toAck.size()));
                    if (seen < WORKED) {
                        ack(server, ackLater);
                        acked.addAll(ackLater);
                        ackLater.clear();
                    }
                }
                JsonObject before = status(server, "workers");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (before.getInteger("inFlight") < 300 && System.nanoTime() < deadline) {
                    Thread.sleep(20); // the source is read as the consumer gets room
                    before = status(server, "workers");
                }
                assertEquals(acked.size(), before.getInteger("acked"));
                assertEquals(parked.size(), before.getInteger("parked"));
                assertEquals(1, before.getInteger("consumers"));
                assertEquals(300, before.getInteger("inFlight"), "held, given and not yet worked: the consumer's limit");
                ack(server, ackLater); // the last ack: the kill follows its 204 at once
                acked.addAll(ackLater);
                server.kill();
            }
        }
        assertEquals(12, parked.size());
        assertEquals(WORKED - WORKED / 10 - 12, acked.size());
        Set<String> ids = new HashSet<>(all);
        try (ServerProcess server = ServerProcess.start(dir)) {
            server.awaitStatus("/q/health/ready", 200, 60);
            JsonObject s = status(server, "workers");
            assertSettings(s, STREAM, 300, 600, 3, "round-robin");
            assertEquals(parked.size(), s.getInteger("parked"));
            assertEquals(0, s.getInteger("inFlight"));
            assertEquals(parked, parkedIds(server, "workers"));
            try (GroupStream c = GroupStream.open(server, "workers")) {
                Set<String> got = new LinkedHashSet<>();
                List<String> batch = new ArrayList<>();
                long previous = -1;
                int expected = EVENTS - acked.size() - parked.size();
                while (got.size() < expected) {
                    JsonObject e = c.next(30);
                    String id = e.getString("id");
                    assertTrue(previous < e.getLong("version"), "in order");
                    previous = e.getLong("version");
                    assertTrue(got.add(id), "delivered once: " + e);
                    assertTrue(!acked.contains(id) && !parked.contains(id), "neither acked nor parked before the kill: " + e);
                    ids.add(id);
                    batch.add(id);
                    if (batch.size() == 100 || got.size() == expected) {
                        ack(server, batch);
                        batch.clear();
                    }
                }
                assertEquals(EVENTS, ids.size(), "every event of the stream was acked, parked, or given now");
                JsonObject after = status(server, "workers");
                assertEquals(expected, after.getInteger("acked"));
                assertEquals(expected, after.getInteger("delivered"), "no other event was delivered");
                assertEquals(0, after.getInteger("redeliveries"));
                assertEquals(0, after.getInteger("inFlight"));
                assertEquals(0, after.getInteger("lag"));
                assertEquals(parked.size(), after.getInteger("parked"));
            }
            assertEquals(typedBefore.copy().put("lag", 0), status(server, "typed").put("lag", 0), "settings and from as created");
            int exit = server.terminate(60);
            assertTrue(exit == 0 || exit == 143, "exit status " + exit + "\n" + server.output());
        }
        try (ServerProcess server = ServerProcess.start(dir)) {
            server.awaitStatus("/q/health/ready", 200, 60);
            JsonArray groups = new JsonObject(server.get("/groups").body()).getJsonArray("groups");
            assertEquals(2, groups.size(), groups.encode());
            assertEquals(typedBefore.copy().put("lag", 0), status(server, "typed").put("lag", 0), "settings and from as created");
            JsonObject s = status(server, "workers");
            assertSettings(s, STREAM, 300, 600, 3, "round-robin");
            assertEquals(0, s.getInteger("lag"));
            assertEquals(parked.size(), s.getInteger("parked"));
            assertEquals(parked, parkedIds(server, "workers"));
            try (GroupStream c = GroupStream.open(server, "workers")) {
                assertEquals(204, post(server, "/groups/workers/parked/replay", null).statusCode());
                Set<String> replayed = new HashSet<>();
                for (int i = 0; i < parked.size(); i++) {
                    replayed.add(c.next(30).getString("id"));
                }
                assertEquals(parked, replayed);
                ack(server, List.copyOf(replayed));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (status(server, "workers").getInteger("parked") > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                JsonObject done = status(server, "workers");
                assertEquals(0, done.getInteger("parked"));
                assertEquals(parked.size(), done.getInteger("delivered"), "only the parked events were delivered");
                assertEquals(parked.size(), done.getInteger("acked"));
                assertEquals(0, done.getInteger("inFlight"));
                assertEquals(0, parkedIds(server, "workers").size());
            }
        }
    }

    private static void assertSettings(JsonObject s, String stream, int maxInFlight, int ackTimeout, int maxDeliveries, String strategy) {
        assertEquals(stream, s.getString("stream"), s.encode());
        assertEquals(0, s.getLong("from"), s.encode());
        assertEquals(maxInFlight, s.getInteger("maxInFlight"), s.encode());
        assertEquals(ackTimeout, s.getInteger("ackTimeout"), s.encode());
        assertEquals(maxDeliveries, s.getInteger("maxDeliveries"), s.encode());
        assertEquals(strategy, s.getString("strategy"), s.encode());
    }

    private static String batch(int from, int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i > 0 ? "," : "").append("{\"type\":\"Placed\",\"data\":{\"n\":").append(from + i).append("}}");
        }
        return b.append(']').toString();
    }

    private static JsonObject ids(List<String> ids) {
        return new JsonObject().put("ids", new JsonArray(new ArrayList<>(ids)));
    }

    private static void ack(ServerProcess server, List<String> ids) throws Exception {
        HttpResponse<String> r = post(server, "/groups/workers/ack", ids(ids));
        assertEquals(204, r.statusCode(), r.body());
    }

    private static HttpResponse<String> post(ServerProcess server, String path, JsonObject body) throws Exception {
        return server.postJson(path, body == null ? "" : body.encode());
    }

    private static HttpResponse<String> put(ServerProcess server, String group, String body) throws Exception {
        return ServerProcess.HTTP.send(HttpRequest.newBuilder(server.uri("/groups/" + group)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject status(ServerProcess server, String group) throws Exception {
        HttpResponse<String> r = server.get("/groups/" + group);
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    private static Set<String> parkedIds(ServerProcess server, String group) throws Exception {
        HttpResponse<String> r = server.get("/groups/" + group + "/parked?limit=100");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject page = new JsonObject(r.body());
        assertEquals(null, page.getValue("next"));
        Set<String> out = new HashSet<>();
        page.getJsonArray("events").forEach(e -> out.add(((JsonObject) e).getString("id")));
        return out;
    }

    /** A consumer's SSE connection: the events it is given, parsed on a thread of its own; {@link #close()} drops it. */
    private static final class GroupStream implements AutoCloseable {
        private final InputStream body;
        private final LinkedBlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
        private final Thread reader;

        private GroupStream(InputStream body) {
            this.body = body;
            this.reader = new Thread(this::read, "group-stream");
            reader.setDaemon(true);
            reader.start();
        }

        static GroupStream open(ServerProcess server, String group) throws Exception {
            HttpResponse<InputStream> r = ServerProcess.HTTP.send(HttpRequest.newBuilder(server.uri("/groups/" + group + "/events"))
                    .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            return new GroupStream(r.body());
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String id = null;
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("data: ") && id != null) {
                        JsonObject e = new JsonObject(line.substring(6));
                        if (!id.equals(e.getString("id"))) {
                            throw new IllegalStateException("frame id " + id + " is not the event's: " + e);
                        }
                        events.add(e);
                    } else if (line.isEmpty()) {
                        id = null;
                    }
                }
            } catch (IOException closed) {
                // dropped
            }
        }

        JsonObject next(int seconds) throws InterruptedException {
            JsonObject e = events.poll(seconds, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("no event within " + seconds + " s");
            }
            return e;
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }
}
