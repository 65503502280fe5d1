package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** After retention, reads below the first retained position answer 410 Gone as a problem. */
@QuarkusTest
class GoneApiTest {
    @Inject
    EventStore store;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL base;

    /** About 16 MB of 4 KB events in one stream (the test profile's segments are 4 MiB). */
    private void appendBig(String s) {
        byte[] data = ("{\"pad\":\"" + "p".repeat(4000) + "\"}").getBytes();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            pending.add(store.append(s, List.of(new NewEvent(UUID.randomUUID(), "Big", data, null, false)),
                    ExpectedVersion.ANY, null).toCompletableFuture());
            if (pending.size() == 256) {
                pending.forEach(CompletableFuture::join);
                pending.clear();
            }
        }
        pending.forEach(CompletableFuture::join);
        // Retention deletes only flushed segments: wait for the flush of what was appended.
        store.log().awaitFlush(store.log().committedPosition()).toCompletableFuture().join();
    }

    /**
     * A subscriber that lags so far that retention deletes the log under its position is not
     * dropped (DESIGN.md: it keeps reading the log at its own pace): it goes on from the first
     * retained event, in order, and reaches the live end; no error frame.
     */
    @Test
    void shouldCarryALaggingSubscriberOverDeletedSegmentsToTheRetainedLog() throws Exception {
        String s = "gone-sse-" + UUID.randomUUID();
        appendBig(s);
        long from = store.readEvent(s, 0).position();
        String url = base.toString().replaceAll("/$", "") + "/all?from=" + from;
        try (SseClient c = SseClient.open(url, false)) { // reads nothing: the server stops at full socket buffers
            assertEquals(200, c.status);
            Thread.sleep(500);
            assertTrue(store.applyRetention(0, 4L << 20) > 0, "retention deleted segments");
            long first = store.log().firstPosition();
            assertTrue(first > from, "the subscriber's start was deleted");
            c.startReading();
            long last = -1;
            int frames = 0;
            boolean jumped = false;
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                SseClient.Frame f = c.poll(1000);
                if (f == null) {
                    continue;
                }
                assertTrue(!"error".equals(f.event()), "no error frame: " + f.data());
                long id = Long.parseLong(f.id());
                assertTrue(id > last, "positions only grow: " + last + " then " + id);
                jumped |= last >= 0 && last < first && id >= first && id - last > 8192;
                last = id;
                frames++;
                io.vertx.core.json.JsonObject e = new io.vertx.core.json.JsonObject(f.data());
                if (s.equals(e.getString("stream")) && e.getLong("version") == 3999) {
                    break;
                }
            }
            assertTrue(last >= first, "reached the retained log: " + last);
            assertTrue(jumped, "went on from the first retained event after the deleted ones");
            assertTrue(frames < 4000, "deleted events were not sent: " + frames);
        }
    }

    @Test
    void shouldAnswer410BelowTheFirstRetainedPosition() throws Exception {
        String s = "gone-" + UUID.randomUUID();
        appendBig(s);
        long oldPosition = given().get("/streams/" + s + "/0").then().statusCode(200).extract().jsonPath().getLong("position");
        assertTrue(store.applyRetention(0, 4L << 20) > 0);
        long firstVersion = store.streamInfo(s).firstVersion();
        assertTrue(firstVersion > 0);
        given().get("/streams/" + s + "/0").then().statusCode(410)
                .contentType("application/problem+json").body("status", equalTo(410));
        given().get("/streams/" + s + "?from=0").then().statusCode(410);
        given().get("/streams/" + s).then().statusCode(200)
                .body("events[0].version", equalTo((int) firstVersion));
        if (oldPosition > 0) {
            given().get("/all?from=" + oldPosition).then().statusCode(410);
        }
        given().get("/all?limit=1").then().statusCode(200);
        long first = store.log().firstPosition();
        assertEquals(first, given().get("/all?from=" + (first - 8)).then().statusCode(410)
                .extract().jsonPath().getLong("first"));
        assertEquals(first, given().get("/log?from=" + (first - 8)).then().statusCode(410)
                .contentType("application/problem+json").extract().jsonPath().getLong("first"));
        given().get("/log?from=" + first + "&maxBytes=64").then().statusCode(200);
    }
}
