package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static io.strand.http.ApiSupport.appendJson;
import static io.strand.http.ApiSupport.assertProblem;
import static io.strand.http.ApiSupport.batch;
import static io.strand.http.ApiSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared groups over HTTP: consumers that split a stream, acks, nacks, timeouts, parking and replay. */
@QuarkusTest
class SharedGroupApiTest {
    @TestHTTPResource("/")
    URL base;

    private String url(String path) {
        return base.toString().replaceAll("/$", "") + path;
    }

    private static void create(String group, String body, int status) {
        given().contentType("application/json").body(body).put("/groups/" + group).then().statusCode(status);
    }

    private static void ack(String group, List<String> ids) {
        given().contentType("application/json").body(new JsonObject().put("ids", ids).encode())
                .post("/groups/" + group + "/ack").then().statusCode(204);
    }

    private static void nack(String group, String id, String action) {
        given().contentType("application/json").body("{\"ids\":[\"" + id + "\"],\"action\":\"" + action + "\"}")
                .post("/groups/" + group + "/nack").then().statusCode(204);
    }

    private static JsonPath status(String group) {
        return given().get("/groups/" + group).then().statusCode(200).extract().jsonPath();
    }

    @Test
    void threeConsumersShareAStreamEachEventAckedOnceNeverTwoAtOnce() throws Exception {
        String s = unique("shared");
        for (int i = 0; i < 30; i++) { // 3,000 events, as the issue names
            appendJson(s, batch(100));
        }
        String g = unique("g");
        create(g, "{\"stream\":\"" + s + "\",\"maxInFlight\":20}", 201);
        create(g, "{\"stream\":\"" + s + "\",\"maxInFlight\":20,\"ackTimeout\":60}", 204);
        Map<String, Integer> ackedBy = new ConcurrentHashMap<>();
        Set<String> inFlight = ConcurrentHashMap.newKeySet();
        AtomicInteger overlaps = new AtomicInteger();
        List<Thread> consumers = new ArrayList<>();
        List<SseClient> clients = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            SseClient client = SseClient.open(url("/groups/" + g + "/events"));
            assertEquals(200, client.status);
            clients.add(client);
            int me = c;
            Thread t = new Thread(() -> {
                try {
                    while (ackedBy.size() < 3000) {
                        SseClient.Frame f = client.poll(200);
                        if (f == null) {
                            continue;
                        }
                        if (!inFlight.add(f.id())) {
                            overlaps.incrementAndGet();
                        }
                        JsonObject e = new JsonObject(f.data());
                        assertEquals(f.id(), e.getString("id"));
                        assertEquals(1, e.getJsonObject("delivery").getInteger("attempt"));
                        inFlight.remove(f.id());
                        assertNull(ackedBy.put(f.id(), me), "acked once");
                        ack(g, List.of(f.id()));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            consumers.add(t);
        }
        for (Thread t : consumers) {
            t.join(TimeUnit.SECONDS.toMillis(120));
        }
        assertEquals(3000, ackedBy.size());
        assertEquals(0, overlaps.get());
        assertEquals(3, new HashSet<>(ackedBy.values()).size(), "every consumer took a share");
        JsonPath st = status(g);
        assertEquals(3000, st.getInt("acked"));
        assertEquals(0, st.getInt("inFlight"));
        assertEquals(0, st.getInt("lag"));
        assertEquals(3, st.getInt("consumers"));
        assertEquals(60, st.getInt("ackTimeout"));
        // per-group metrics (refreshed every few seconds)
        List<String> lines = List.of("strand_group_consumers{group=\"" + g + "\",} 3.0", // Prometheus text ends tags with a comma
                "strand_group_lag{group=\"" + g + "\",} 0.0", "strand_group_in_flight{group=\"" + g + "\",} 0.0",
                "strand_group_parked{group=\"" + g + "\",} 0.0", "strand_group_redeliveries_total{group=\"" + g + "\",} 0.0");
        long deadline = System.currentTimeMillis() + 15_000;
        String metrics = "";
        while (System.currentTimeMillis() < deadline && !lines.stream().allMatch(metrics::contains)) {
            Thread.sleep(200);
            metrics = given().accept("text/plain").get("/q/metrics").asString();
        }
        String shown = metrics.lines().filter(l -> l.contains(g)).collect(java.util.stream.Collectors.joining("\n"));
        for (String line : lines) {
            assertTrue(metrics.contains(line), () -> line + " in\n" + shown);
        }
        for (SseClient c : clients) {
            c.close();
        }
        assertTrue(given().get("/groups").then().statusCode(200).extract().jsonPath().getList("groups.name").contains(g));
        given().delete("/groups/" + g).then().statusCode(204);
        assertProblem(given().get("/groups/" + g), 404);
    }

    @Test
    void pinnedKeepsEachStreamInOrderOnOneConsumerAtATime() throws Exception {
        String prefix = unique("pin");
        for (int i = 0; i < 5; i++) {
            appendJson(prefix + "-" + i, batch(40));
        }
        String g = unique("gp");
        create(g, "{\"stream\":\"$all\",\"filter\":{\"streamPrefix\":[\"" + prefix + "\"]},\"strategy\":\"pinned\",\"maxInFlight\":7}", 201);
        Map<String, Integer> lastVersion = new HashMap<>();
        Map<String, Integer> owner = new HashMap<>();
        Map<String, Integer> open = new HashMap<>();
        try (SseClient a = SseClient.open(url("/groups/" + g + "/events")); SseClient b = SseClient.open(url("/groups/" + g + "/events"))) {
            SseClient[] cs = {a, b};
            int got = 0;
            long deadline = System.currentTimeMillis() + 60_000;
            List<String[]> toAck = new ArrayList<>();
            while (got < 200 && System.currentTimeMillis() < deadline) {
                for (int c = 0; c < 2; c++) {
                    SseClient.Frame f = cs[c].poll(50);
                    if (f == null) {
                        continue;
                    }
                    got++;
                    JsonObject e = new JsonObject(f.data());
                    String stream = e.getString("stream");
                    int v = e.getInteger("version");
                    assertEquals(lastVersion.getOrDefault(stream, -1) + 1, v, "in order within " + stream);
                    lastVersion.put(stream, v);
                    if (open.getOrDefault(stream, 0) > 0) {
                        assertEquals(owner.get(stream), c, stream + " is on one consumer at a time");
                    }
                    owner.put(stream, c);
                    open.merge(stream, 1, Integer::sum);
                    toAck.add(new String[]{f.id(), stream});
                }
                // ack in batches, as a consumer that works a little behind
                if (toAck.size() >= 5 || got >= 200) {
                    for (String[] x : toAck) {
                        ack(g, List.of(x[0]));
                        open.merge(x[1], -1, Integer::sum);
                    }
                    toAck.clear();
                }
            }
            assertEquals(200, got);
        }
        given().delete("/groups/" + g).then().statusCode(204);
    }

    @Test
    void unackedEventsGoAgainAfterTheTimeoutOrWhenTheirConsumerLeavesThenParkAndReplay() throws Exception {
        String s = unique("retry");
        appendJson(s, batch(3));
        String g = unique("gr");
        create(g, "{\"stream\":\"" + s + "\",\"ackTimeout\":1,\"maxDeliveries\":2}", 201);
        List<String> ids = new ArrayList<>();
        try (SseClient c = SseClient.open(url("/groups/" + g + "/events"))) {
            for (SseClient.Frame f : c.take(3, 10)) {
                ids.add(f.id());
            }
            // nack retry: it comes back as attempt 2
            nack(g, ids.get(0), "retry");
            SseClient.Frame again = c.take(1, 10).get(0);
            assertEquals(ids.get(0), again.id());
            assertEquals(2, new JsonObject(again.data()).getJsonObject("delivery").getInteger("attempt"));
            // skip one, ack nothing else: the others time out after 1 s and come back as attempt 2
            nack(g, ids.get(1), "skip");
            Set<String> redelivered = new HashSet<>();
            for (SseClient.Frame f : c.take(1, 10)) {
                redelivered.add(f.id());
                assertEquals(2, new JsonObject(f.data()).getJsonObject("delivery").getInteger("attempt"));
            }
            assertEquals(Set.of(ids.get(2)), redelivered);
            // after maxDeliveries (2) both time out again: parked
            long deadline = System.currentTimeMillis() + 10_000;
            while (status(g).getInt("parked") < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(2, status(g).getInt("parked"));
        }
        JsonPath parked = given().get("/groups/" + g + "/parked").then().statusCode(200).extract().jsonPath();
        assertEquals(Set.of(ids.get(0), ids.get(2)), new HashSet<>(parked.getList("events.id")));
        assertProblem(given().contentType("application/json").body("{\"ids\":[\"" + ids.get(1) + "\"]}").post("/groups/" + g + "/ack"), 404);
        given().post("/groups/" + g + "/parked/replay").then().statusCode(204);
        try (SseClient c = SseClient.open(url("/groups/" + g + "/events"))) {
            List<String> replayed = new ArrayList<>();
            for (SseClient.Frame f : c.take(2, 10)) {
                replayed.add(f.id());
            }
            Collections.sort(replayed);
            List<String> expected = new ArrayList<>(List.of(ids.get(0), ids.get(2)));
            Collections.sort(expected);
            assertEquals(expected, replayed);
            ack(g, replayed);
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (status(g).getInt("parked") > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0, status(g).getInt("parked"));
        assertEquals(0, given().get("/groups/" + g + "/parked").then().statusCode(200).extract().jsonPath().getList("events").size());
    }

    @Test
    void badRequestsAreProblems() {
        String g = unique("bad");
        assertProblem(given().contentType("application/json").body("{}").put("/groups/" + g), 400);
        assertProblem(given().contentType("application/json").body("{\"stream\":\"x\",\"strategy\":\"random\"}").put("/groups/" + g), 400);
        assertProblem(given().contentType("application/json").body("{\"stream\":\"x\",\"maxInFlight\":0}").put("/groups/" + g), 400);
        assertProblem(given().contentType("application/json").body("{\"stream\":\"x\",\"other\":1}").put("/groups/" + g), 400);
        assertProblem(given().contentType("text/plain").body("{}").put("/groups/" + g), 415);
        assertProblem(given().get("/groups/" + g), 404);
        assertProblem(given().delete("/groups/" + g), 404);
        assertProblem(given().contentType("application/json").body("{\"ids\":[\"" + java.util.UUID.randomUUID() + "\"]}")
                .post("/groups/" + g + "/ack"), 404);
        create(g, "{\"stream\":\"x\"}", 201);
        assertProblem(given().contentType("application/json").body("{\"stream\":\"y\"}").put("/groups/" + g), 400);
        assertProblem(given().contentType("application/json").body("{\"ids\":[\"not-a-uuid\"]}").post("/groups/" + g + "/ack"), 400);
        assertProblem(given().contentType("application/json").body("{\"ids\":[\"" + java.util.UUID.randomUUID() + "\"],\"action\":\"later\"}")
                .post("/groups/" + g + "/nack"), 400);
        given().delete("/groups/" + g).then().statusCode(204);
    }
}
