package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strand.store.EventStore;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A byte flipped in an old event's data, in the segment file on disk (through its own channel: the
 * server's mapping sees the changed page), as a user would: every read path answers the page or
 * event holding it with a 500 {@code corrupt-record} problem naming its position, serves its
 * neighbours, keeps taking appends, and counts it once; subscriptions get the events before it,
 * then an {@code event: problem} frame, then the end. The scrubber finds a corrupt record nobody
 * reads. Its own data directory (a fresh one per run): no other test ever meets these records.
 */
@QuarkusTest
@TestProfile(CorruptRecordApiTest.Profile.class)
class CorruptRecordApiTest {
    static final String DATA_DIR = "target/test-data-corrupt-" + UUID.randomUUID();
    static final int SEGMENT_SIZE = 4 << 20;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strand.data-dir", DATA_DIR, "strand.scrub.interval", "200ms", "strand.scrub.rate", "1G");
        }
    }

    @Inject
    EventStore store;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL base;

    /** Appends {@code n} events one by one ({@code {"i":i}}) and returns their positions, once flushed. */
    private List<Long> write(String stream, int n) {
        List<Long> positions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            positions.add(ApiSupport.appendJson(stream, "{\"type\":\"T\",\"data\":{\"i\":" + i + "}}").jsonPath().getLong("position"));
        }
        store.log().awaitFlush(store.log().committedPosition()).toCompletableFuture().join();
        return positions;
    }

    /** Flips a bit of the last byte of the record at {@code position}: inside its data. */
    private static void corrupt(long position) throws IOException {
        long segment = position - position % SEGMENT_SIZE;
        Path file = Path.of(DATA_DIR, "commitlog", String.format("%020d", segment));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(length, position - segment);
            long last = position - segment + length.getInt(0) - 1;
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, last);
            assertEquals('}', one.get(0), "the record ends with its JSON data");
            one.put(0, (byte) ('}' ^ 0x01)).rewind();
            ch.write(one, last);
        }
    }

    private static double corruptCount() {
        String body = given().header("Accept", "text/plain").get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : body.split("\n")) {
            if (line.startsWith("strand_corrupt_records_total ") || line.startsWith("strand_corrupt_records_total{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("strand_corrupt_records_total not found");
    }

    private static void assertCorrupt(Response r, long position) {
        JsonObject p = ApiSupport.assertProblem(r, 500);
        assertEquals("urn:strand:problem:corrupt-record", p.getString("type"), p::encode);
        assertEquals("Corrupt record", p.getString("title"));
        assertEquals(position, p.getLong("position"), p::encode);
    }

    @Test
    void shouldAnswerCorruptRecordOnEveryReadPathAndServeTheNeighbours() throws Exception {
        String s = ApiSupport.unique("corrupt");
        List<Long> p = write(s, 10);
        double before = corruptCount();
        corrupt(p.get(5));

        // The pages and the event that hold it: 500, whole.
        assertCorrupt(given().get("/streams/{s}?from=0&limit=10", s), p.get(5));
        assertCorrupt(given().accept("application/x-ndjson").get("/streams/{s}?from=0&limit=10", s), p.get(5));
        assertCorrupt(given().accept("application/octet-stream").get("/streams/{s}?from=0&limit=10", s), p.get(5));
        assertCorrupt(given().get("/streams/{s}?from=7&limit=3&direction=backward", s), p.get(5));
        assertCorrupt(given().get("/streams/{s}/5", s), p.get(5));
        assertCorrupt(given().accept("application/octet-stream").get("/streams/{s}/5", s), p.get(5));
        assertCorrupt(given().get("/all?from={f}&limit=10", p.get(0)), p.get(5));
        assertCorrupt(given().accept("application/x-ndjson").get("/all?from={f}&limit=10", p.get(0)), p.get(5));
        assertCorrupt(given().accept("application/octet-stream").get("/all?from={f}&limit=10", p.get(0)), p.get(5));
        assertCorrupt(given().get("/all?from={f}&limit=3", p.get(5)), p.get(5));
        assertCorrupt(given().get("/log?from={f}&maxBytes=1048576", p.get(0)), p.get(5));

        // Its neighbours: pages that end before it or start after it, the events before and after.
        given().get("/streams/{s}?from=0&limit=5", s).then().statusCode(200).body("events.size()", org.hamcrest.Matchers.equalTo(5));
        given().get("/streams/{s}?from=6", s).then().statusCode(200).body("events.size()", org.hamcrest.Matchers.equalTo(4));
        given().get("/streams/{s}?from=4&limit=5&direction=backward", s).then().statusCode(200)
                .body("events.size()", org.hamcrest.Matchers.equalTo(5));
        given().accept("application/x-ndjson").get("/streams/{s}?from=6", s).then().statusCode(200);
        byte[] page = given().accept("application/octet-stream").get("/streams/{s}?from=0&limit=5", s)
                .then().statusCode(200).extract().asByteArray();
        assertEquals(5, ApiSupport.frames(page).size());
        given().accept("application/octet-stream").get("/streams/{s}?from=6", s).then().statusCode(200);
        given().get("/streams/{s}/4", s).then().statusCode(200).body("data.i", org.hamcrest.Matchers.equalTo(4));
        given().get("/streams/{s}/6", s).then().statusCode(200).body("data.i", org.hamcrest.Matchers.equalTo(6));
        given().accept("application/octet-stream").get("/streams/{s}/6", s).then().statusCode(200);
        Response before5 = given().get("/all?from={f}&limit=5", p.get(0));
        assertEquals(200, before5.statusCode(), before5.asString());
        assertEquals(String.valueOf(p.get(5)), before5.header("Strand-Next"), "the next page starts at it");
        given().accept("application/octet-stream").get("/all?from={f}&limit=5", p.get(0)).then().statusCode(200);
        given().get("/all?from={f}", p.get(6)).then().statusCode(200);
        given().get("/log?from={f}&maxBytes={m}", p.get(0), p.get(5) - p.get(0)).then().statusCode(200)
                .header("Strand-Next", String.valueOf(p.get(5)));
        given().get("/log?from={f}", p.get(6)).then().statusCode(200);

        // Appends go on; the record was counted once, however often it was read.
        ApiSupport.appendJson(s, "{\"type\":\"T\",\"data\":{\"i\":10}}");
        given().get("/streams/{s}/10", s).then().statusCode(200);
        assertEquals(before + 1, corruptCount(), 0.0);
    }

    @Test
    void shouldEndAStreamSubscriptionWithAProblemFrameAtTheCorruptRecord() throws Exception {
        String s = ApiSupport.unique("corrupt-sse");
        List<Long> p = write(s, 6);
        corrupt(p.get(3));
        String url = base.toString().replaceAll("/$", "") + "/streams/" + s + "?from=0";
        try (SseClient c = SseClient.open(url)) {
            assertEquals(200, c.status);
            assertProblemAfter(c, List.of("0", "1", "2"), p.get(3));
        }
    }

    @Test
    void shouldEndAnAllSubscriptionWithAProblemFrameAtTheCorruptRecord() throws Exception {
        String s = ApiSupport.unique("corrupt-all");
        List<Long> p = write(s, 6);
        corrupt(p.get(2));
        String url = base.toString().replaceAll("/$", "") + "/all?from=" + p.get(0);
        try (SseClient c = SseClient.open(url)) {
            assertEquals(200, c.status);
            assertProblemAfter(c, List.of(String.valueOf(p.get(0)), String.valueOf(p.get(1))), p.get(2));
        }
    }

    private static void assertProblemAfter(SseClient c, List<String> ids, long position) throws InterruptedException {
        List<SseClient.Frame> frames = c.take(ids.size() + 1, 20);
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(ids.get(i), frames.get(i).id(), "the events before it: " + frames);
            assertEquals("T", new JsonObject(frames.get(i).data()).getString("type"));
        }
        SseClient.Frame problem = frames.get(ids.size());
        assertEquals("problem", problem.event(), problem::toString);
        JsonObject json = new JsonObject(problem.data());
        assertEquals("urn:strand:problem:corrupt-record", json.getString("type"));
        assertEquals(500, json.getInteger("status"));
        assertEquals(position, json.getLong("position"));
        assertTrue(c.awaitEnd(10_000), "the stream ends after the problem frame");
    }

    @Test
    void shouldFindACorruptRecordNobodyReadsWithTheScrubber() throws Exception {
        String s = ApiSupport.unique("corrupt-scrub");
        List<Long> p = write(s, 3);
        double before = corruptCount();
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getLevel() + " " + r.getMessage() + " " + Thread.currentThread().getName());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.strand.log.CorruptRecords");
        logger.addHandler(capture);
        try {
            corrupt(p.get(1));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (corruptCount() < before + 1) {
                assertTrue(System.nanoTime() < deadline, "the scrubber found it within 20 s");
                Thread.sleep(50);
            }
            assertEquals(before + 1, corruptCount(), 0.0);
            String body = given().header("Accept", "text/plain").get("/q/metrics").then().extract().asString();
            assertTrue(body.lines().anyMatch(l -> l.startsWith("strand_scrub_verified_bytes_total") && !l.endsWith(" 0.0")),
                    "the scrubber counts what it verified");
            assertCorrupt(given().get("/streams/{s}/1", s), p.get(1)); // and a read of it later counts nothing more
            assertEquals(before + 1, corruptCount(), 0.0);
            List<String> about = lines.stream().filter(l -> l.contains("position=" + p.get(1) + ",")).toList();
            assertEquals(1, about.size(), "one log line for the position, not one per finder: " + lines);
            assertTrue(about.get(0).startsWith("ERROR") && about.get(0).contains("found=bad-crc")
                    && about.get(0).contains("strand-scrub"), about.get(0));
        } finally {
            logger.removeHandler(capture);
        }
    }
}
