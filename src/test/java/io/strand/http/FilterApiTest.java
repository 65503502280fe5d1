package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Server-side filters on {@code $all}: {@code type=} and {@code streamPrefix=} (OR within one, AND
 * across), pages whose scan is bounded, and filtered SSE with {@code id:}-only checkpoint frames
 * (every {@code strand.sse.checkpoint-records}, 50 in tests, and before heartbeats).
 */
@QuarkusTest
class FilterApiTest {
    @TestHTTPResource("/")
    URL base;

    private final String run = "flt" + UUID.randomUUID().toString().substring(0, 6);

    private static long append(String stream, String type, int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i > 0 ? "," : "").append("{\"type\":\"").append(type).append("\",\"data\":{\"i\":").append(i).append("}}");
        }
        return given().contentType("application/json").body(b.append("]").toString()).post("/streams/" + stream)
                .then().statusCode(201).extract().jsonPath().getLong("position");
    }

    private static List<String> all(String query) {
        JsonPath page = given().get("/all?limit=1000&" + query).then().statusCode(200).extract().jsonPath();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < page.getList("events").size(); i++) {
            out.add(page.getString("events[" + i + "].stream") + ":" + page.getString("events[" + i + "].type"));
        }
        return out;
    }

    @Test
    void shouldFilterPagesByTypeAndStreamPrefix() {
        long from = append(run + "-a-1", "Placed", 2);
        append(run + "-a-1", "Paid", 1);
        append(run + "-b-1", "Placed", 1);
        append(run + "-b-2", "Shipped", 1);
        String q = "from=" + from + "&streamPrefix=" + run + "-";
        assertEquals(List.of(run + "-a-1:Placed", run + "-a-1:Placed", run + "-b-1:Placed"), all(q + "&type=Placed"));
        assertEquals(List.of(run + "-a-1:Placed", run + "-a-1:Placed", run + "-a-1:Paid"), all(q + "a"),
                "a prefix narrows the streams");
        assertEquals(List.of(run + "-a-1:Paid", run + "-b-2:Shipped"), all(q + "&type=Paid&type=Shipped"), "OR within type");
        assertEquals(List.of(run + "-a-1:Paid", run + "-b-2:Shipped"),
                all("from=" + from + "&type=Paid&type=Shipped&streamPrefix=" + run + "-a&streamPrefix=" + run + "-b-2"),
                "OR within streamPrefix, AND across the two");
        given().get("/all?type=").then().statusCode(400).contentType("application/problem+json");
        // the filter rides along in the next page's link
        String next = given().get("/all?limit=1&" + q + "&type=Placed").then().statusCode(200).extract().header("Link");
        assertTrue(next.contains("type=Placed") && next.contains("streamPrefix=" + run), next);
    }

    /** {@code type=} on one stream (KurrentDB #5169: a command handler skips large events it does not need). */
    @Test
    void shouldFilterAStreamsPagesAndSubscriptionByType() throws Exception {
        String stream = run + "-order";
        append(stream, "Placed", 1);
        append(stream, "Blob", 3);
        append(stream, "Paid", 1);
        assertEquals(List.of(0, 4), given().get("/streams/" + stream + "?type=Placed&type=Paid").then().statusCode(200)
                .extract().jsonPath().getList("events.version"));
        assertEquals(List.of(4, 0), given().get("/streams/" + stream + "?type=Placed&type=Paid&direction=backward")
                .then().statusCode(200).extract().jsonPath().getList("events.version"));
        JsonPath one = given().get("/streams/" + stream + "?type=Placed&type=Paid&limit=1").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(1, one.getInt("next"), "the next page goes on after the last version looked at");
        given().get("/streams/" + stream + "?streamPrefix=x").then().statusCode(400); // $all only
        String url = base.toString().replaceAll("/$", "") + "/streams/" + stream + "?type=Paid";
        try (SseClient c = SseClient.open(url)) {
            assertEquals("4", c.take(1, 10).get(0).id());
            String checkpoint = c.checkpoints.poll(5, TimeUnit.SECONDS);
            assertTrue(checkpoint == null || Long.parseLong(checkpoint) < 4, "no checkpoint past the event: " + checkpoint);
            append(stream, "Blob", 2);
            String skipped = null;
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); !"6".equals(skipped) && System.nanoTime() < deadline; ) {
                skipped = c.checkpoints.poll(1, TimeUnit.SECONDS);
            }
            assertEquals("6", skipped, "a stream's checkpoint is the last version skipped");
        }
    }

    @Test
    void shouldListOnlyStreamsWithThePrefix() {
        append(run + "-list-a", "T", 1);
        append(run + "-list-b", "T", 1);
        append(run + "-other", "T", 1);
        List<String> names = new ArrayList<>();
        Long from = 0L;
        for (int pages = 0; from != null && pages < 1000; pages++) {
            JsonPath page = given().get("/streams?limit=1000&prefix=" + run + "-list&from=" + from).then().statusCode(200)
                    .extract().jsonPath();
            names.addAll(page.getList("streams.name"));
            from = page.get("next") == null ? null : page.getLong("next");
        }
        assertEquals(List.of(run + "-list-a", run + "-list-b"), names);
    }

    @Test
    void shouldBoundTheScanOfAFilteredPage() {
        String stream = run + "-many";
        long from = append(stream, "Noise", 1000);
        for (int i = 0; i < 11; i++) {
            append(stream, "Noise", 1000);
        }
        append(stream, "Signal", 1);
        JsonPath first = given().get("/all?from=" + from + "&type=Signal&streamPrefix=" + stream).then().statusCode(200)
                .extract().jsonPath();
        assertEquals(0, first.getList("events").size(), "10,000 records looked at, none matched: an empty page");
        long next = first.getLong("next");
        assertTrue(next > from, "which says where to go on");
        JsonPath second = given().get("/all?from=" + next + "&type=Signal&streamPrefix=" + stream).then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("Signal"), second.getList("events.type"));
    }

    @Test
    void shouldSendCheckpointsWhileAFilteredSubscriptionSkips() throws Exception {
        String noise = run + "-noise";
        String rare = run + "-rare";
        long from = append(noise, "Noise", 1);
        String url = base.toString().replaceAll("/$", "") + "/all?from=" + from + "&type=Rare&streamPrefix=" + run;
        try (SseClient c = SseClient.open(url)) {
            append(noise, "Noise", 120);
            String checkpoint = c.checkpoints.poll(10, TimeUnit.SECONDS);
            assertNotNull(checkpoint, "an id:-only frame after 50 skipped records");
            assertNotNull(c.checkpoints.poll(10, TimeUnit.SECONDS), "and another after 100");
            long rarePosition = append(rare, "Rare", 1);
            SseClient.Frame f = c.take(1, 10).get(0);
            assertEquals(Long.toString(rarePosition), f.id());
            assertEquals("Rare", new JsonObject(f.data()).getString("type"));
            // a few more skipped (fewer than 50): the next heartbeat (300 ms in tests) carries a checkpoint
            c.checkpoints.clear();
            append(noise, "Noise", 3);
            String beforeHeartbeat = c.checkpoints.poll(5, TimeUnit.SECONDS);
            assertNotNull(beforeHeartbeat, "a checkpoint before the heartbeat");
            assertTrue(Long.parseLong(beforeHeartbeat) > rarePosition);
            // a reconnect from the checkpoint starts after it: nothing old comes again
            try (SseClient again = SseClient.open(url, "Last-Event-ID", beforeHeartbeat)) {
                assertNull(again.poll(500), "nothing after the checkpoint matches yet");
                long second = append(rare, "Rare", 1);
                assertEquals(Long.toString(second), again.take(1, 10).get(0).id());
            }
        }
    }
}
