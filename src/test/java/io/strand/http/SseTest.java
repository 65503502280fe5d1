package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strand.store.EventStore;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Server-Sent Events over real sockets: catch-up, live, resume, heartbeat, waiting, fan-out, stalls. */
@QuarkusTest
class SseTest {
    @TestHTTPResource("/")
    URL base;

    @Inject
    EventStore store;

    private final String run = UUID.randomUUID().toString().substring(0, 8);

    private String url(String path) {
        return base.toString().replaceAll("/$", "") + path;
    }

    private void append(String stream, int from, int n) {
        StringBuilder batch = new StringBuilder("[");
        for (int i = from; i < from + n; i++) {
            batch.append(i > from ? "," : "").append("{\"type\":\"T").append(i % 3).append("\",\"data\":{\"i\":").append(i).append("}}");
        }
        given().contentType("application/json").body(batch.append("]").toString())
                .post("/streams/" + stream).then().statusCode(201);
    }

    @Test
    void shouldCatchUpThenGoLiveInOrder() throws Exception {
        String s = "sse-live-" + run;
        append(s, 0, 5);
        try (SseClient c = SseClient.open(url("/streams/" + s + "?typed=true"), "Accept-Encoding", "gzip, deflate")) {
            assertEquals(200, c.status);
            assertEquals("text/event-stream", c.headers.get("content-type").get(0));
            assertEquals("no", c.headers.get("x-accel-buffering").get(0));
            assertNull(c.headers.get("content-encoding"), "never compressed, even when the client accepts gzip");
            List<SseClient.Frame> first = c.take(5, 10);
            append(s, 5, 5);
            List<SseClient.Frame> all = new ArrayList<>(first);
            all.addAll(c.take(5, 10));
            for (int i = 0; i < 10; i++) {
                SseClient.Frame f = all.get(i);
                assertEquals(Integer.toString(i), f.id());
                assertEquals("T" + (i % 3), f.event());
                JsonObject e = new JsonObject(f.data());
                assertEquals(s, e.getString("stream"));
                assertEquals(i, e.getLong("version"));
                assertEquals(i, e.getJsonObject("data").getInteger("i"));
                assertTrue(e.getString("timestamp").endsWith("Z"));
            }
        }
    }

    /**
     * What an EventSource needs: no {@code event:} line unless asked for (else {@code onmessage}
     * never fires, and an event typed {@code error} would reach {@code onerror}), the type inside
     * the data, and a {@code retry:} line before the first frame.
     */
    @Test
    void shouldSendUntypedFramesWithTheTypeInTheDataAndARetryLine() throws Exception {
        String s = "sse-untyped-" + run;
        given().contentType("application/json").body("[{\"type\":\"error\",\"data\":{}},{\"type\":\"open\",\"data\":{}}]")
                .post("/streams/" + s).then().statusCode(201);
        try (SseClient c = SseClient.open(url("/streams/" + s))) {
            List<SseClient.Frame> frames = c.take(2, 10);
            assertEquals(List.of("1000"), c.retries, "strand.sse.retry defaults to 1 s, sent once at the start");
            for (int i = 0; i < 2; i++) {
                assertNull(frames.get(i).event(), "no event: line by default");
                assertEquals(i == 0 ? "error" : "open", new JsonObject(frames.get(i).data()).getString("type"));
            }
        }
        try (SseClient c = SseClient.open(url("/all?typed=true&from=end"))) {
            assertNull(c.poll(200));
            given().contentType("application/json").body("{\"type\":\"Placed\",\"data\":{}}").post("/streams/" + s).then().statusCode(201);
            assertEquals("Placed", c.take(1, 10).get(0).event(), "typed=true names the frame on /all too");
        }
        given().header("Accept", "text/event-stream").get("/streams/" + s + "?typed=yes")
                .then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void shouldResumeAfterLastEventIdWhichWinsOverFrom() throws Exception {
        String s = "sse-resume-" + run;
        append(s, 0, 10);
        try (SseClient c = SseClient.open(url("/streams/" + s + "?from=2"), "Last-Event-ID", "6")) {
            assertEquals("7", c.take(1, 10).get(0).id());
        }
        try (SseClient c = SseClient.open(url("/streams/" + s + "?from=end"))) {
            assertNull(c.poll(300), "from=end: nothing old");
            append(s, 10, 1);
            assertEquals("10", c.take(1, 10).get(0).id());
        }
    }

    @Test
    void shouldResumeTheGlobalLogByPosition() throws Exception {
        String s = "sse-all-" + run;
        append(s, 0, 3);
        long p1 = given().get("/streams/" + s + "/1").then().statusCode(200).extract().jsonPath().getLong("position");
        long p2 = given().get("/streams/" + s + "/2").then().statusCode(200).extract().jsonPath().getLong("position");
        try (SseClient c = SseClient.open(url("/all"), "Last-Event-ID", Long.toString(p1))) {
            SseClient.Frame f = c.take(1, 10).get(0);
            assertEquals(Long.toString(p2), f.id(), "resumes after the last event seen, by position");
        }
        given().header("Accept", "text/event-stream").header("Last-Event-ID", Long.toString(p1 + 8))
                .get("/all").then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void shouldStartAfterAGroupsCommittedVersion() throws Exception {
        String s = "sse-group-" + run;
        append(s, 0, 6);
        given().contentType("application/json").body("{\"version\":3}").put("/groups/g-" + run + "/streams/" + s)
                .then().statusCode(204);
        try (SseClient c = SseClient.open(url("/streams/" + s + "?group=g-" + run))) {
            assertEquals("4", c.take(1, 10).get(0).id());
        }
    }

    @Test
    void shouldSendHeartbeatsAndWaitForAStreamThatAppearsLater() throws Exception {
        String s = "sse-later-" + run;
        try (SseClient c = SseClient.open(url("/streams/" + s))) {
            assertEquals(200, c.status);
            Thread.sleep(1000); // the test profile's heartbeat is 300 ms
            assertTrue(c.comments.stream().anyMatch(l -> l.contains("heartbeat")), "heartbeat comments: " + c.comments);
            append(s, 0, 1);
            assertEquals("0", c.take(1, 10).get(0).id());
        }
    }

    @Test
    void shouldReleaseTheReaderWhenTheClientDisconnects() throws Exception {
        String s = "sse-gone-" + run;
        append(s, 0, 1);
        int before = store.subscriptionCount();
        SseClient c = SseClient.open(url("/streams/" + s));
        c.take(1, 10);
        assertEquals(before + 1, store.subscriptionCount());
        c.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.subscriptionCount() > before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before, store.subscriptionCount(), "a disconnect cancels its subscription");
    }

    @Test
    void shouldDeliverEveryEventToTwoHundredSubscribers() throws Exception {
        String s = "sse-fan-" + run;
        List<SseClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                clients.add(SseClient.open(url("/streams/" + s)));
            }
            for (int i = 0; i < 10; i++) {
                append(s, i * 10, 10);
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> checks = new ArrayList<>();
            for (SseClient c : clients) {
                checks.add(pool.submit(() -> {
                    List<SseClient.Frame> got = c.take(100, 60);
                    for (int i = 0; i < 100; i++) {
                        assertEquals(Integer.toString(i), got.get(i).id());
                    }
                    return null;
                }));
            }
            for (Future<?> f : checks) {
                f.get(90, TimeUnit.SECONDS);
            }
            pool.shutdown();
        } finally {
            for (SseClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void shouldKeepTheHeapFlatForAStalledSubscriberAndDeliverEverythingLater() throws Exception {
        String s = "sse-stall-" + run;
        String kib = "x".repeat(1000);
        try (SseClient c = SseClient.open(url("/streams/" + s), false)) {
            long before = usedHeapAfterGc();
            for (int b = 0; b < 200; b++) { // 20,000 events of 1 KiB in batches of 100
                StringBuilder batch = new StringBuilder("[");
                for (int i = 0; i < 100; i++) {
                    batch.append(i > 0 ? "," : "").append("{\"type\":\"K\",\"data\":{\"n\":").append(b * 100 + i)
                            .append(",\"pad\":\"").append(kib).append("\"}}");
                }
                given().contentType("application/json").body(batch.append("]").toString()).post("/streams/" + s)
                        .then().statusCode(201);
            }
            long grown = usedHeapAfterGc() - before;
            // Buffering the 20 MiB for the stalled client would show here; the index grows by ~200 KiB.
            assertTrue(grown < 12L << 20, "heap grew by " + (grown >> 10) + " KiB while a subscriber was stalled");
            c.startReading();
            List<SseClient.Frame> got = c.take(20_000, 120);
            for (int i = 0; i < 20_000; i++) {
                assertEquals(Integer.toString(i), got.get(i).id());
            }
            assertEquals(19_999, new JsonObject(got.get(19_999).data()).getJsonObject("data").getInteger("n"));
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            min = Math.min(min, memory.getHeapMemoryUsage().getUsed());
        }
        return min;
    }
}
