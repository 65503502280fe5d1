package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strand.log.CommitLog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.restassured.RestAssured.given;
import static io.strand.http.ApiSupport.appendJson;
import static io.strand.http.ApiSupport.assertProblem;
import static io.strand.http.ApiSupport.assertTimestamp;
import static io.strand.http.ApiSupport.unique;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /streams/{stream}} pages (forward, backward, {@code next}, JSON, NDJSON, binary frames)
 * and {@code GET /streams/{stream}/{version}} (JSON and raw data bytes), with their 400s and 404s.
 */
@QuarkusTest
class ReadApiTest {
    @Inject
    CommitLog log;

    /** A stream of five JSON events T0..T4, data {"i":i}; returns it. */
    private static String fiveEvents(String prefix) {
        String s = unique(prefix);
        appendJson(s, ApiSupport.batch(5));
        return s;
    }

    private static JsonObject page(String stream, String query) {
        Response r = given().get("/streams/" + stream + query);
        assertEquals(200, r.statusCode(), r.asString());
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        return new JsonObject(r.asString());
    }

    private static List<Long> versions(JsonObject page) {
        List<Long> v = new ArrayList<>();
        for (Object o : page.getJsonArray("events")) {
            v.add(((JsonObject) o).getLong("version"));
        }
        return v;
    }

    @Test
    void shouldPageForwardFollowingNext() {
        String s = fiveEvents("read-fwd");
        JsonObject all = page(s, "");
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), versions(all));
        assertTrue(all.containsKey("next"));
        assertNull(all.getValue("next"), "next is null at the end");
        for (Object o : all.getJsonArray("events")) {
            JsonObject e = (JsonObject) o;
            assertEquals(s, e.getString("stream"));
            assertEquals("T" + e.getLong("version"), e.getString("type"));
            assertEquals(new JsonObject().put("i", e.getLong("version").intValue()), e.getJsonObject("data"));
            assertTimestamp(e.getString("timestamp"));
            UUID.fromString(e.getString("id"));
            assertTrue(e.getValue("position") instanceof Number);
            assertEquals(new JsonObject(), e.getJsonObject("metadata"));
        }

        JsonObject p1 = page(s, "?limit=2");
        assertEquals(List.of(0L, 1L), versions(p1));
        assertEquals(2L, p1.getLong("next"));
        JsonObject p2 = page(s, "?from=" + p1.getLong("next") + "&limit=2");
        assertEquals(List.of(2L, 3L), versions(p2));
        assertEquals(4L, p2.getLong("next"));
        JsonObject p3 = page(s, "?from=4&limit=2&direction=forward");
        assertEquals(List.of(4L), versions(p3));
        assertNull(p3.getValue("next"));
        // a page that ends exactly at the last event has no next page either
        assertNull(page(s, "?from=3&limit=2").getValue("next"));
        assertNull(page(s, "?limit=5").getValue("next"));
        // beyond the end: an empty page
        JsonObject past = page(s, "?from=9");
        assertEquals(0, past.getJsonArray("events").size());
        assertNull(past.getValue("next"));
        // a limit over the configured maximum is capped, not refused
        assertEquals(5, page(s, "?limit=100000").getJsonArray("events").size());
    }

    @Test
    void shouldPageBackwardFromTheLastEventByDefault() {
        String s = fiveEvents("read-bwd");
        JsonObject p1 = page(s, "?direction=backward&limit=2");
        assertEquals(List.of(4L, 3L), versions(p1));
        assertEquals(2L, p1.getLong("next"));
        JsonObject p2 = page(s, "?direction=backward&limit=2&from=" + p1.getLong("next"));
        assertEquals(List.of(2L, 1L), versions(p2));
        assertEquals(0L, p2.getLong("next"));
        JsonObject p3 = page(s, "?direction=backward&limit=2&from=0");
        assertEquals(List.of(0L), versions(p3));
        assertNull(p3.getValue("next"));
        assertEquals(List.of(3L, 2L, 1L, 0L), versions(page(s, "?direction=backward&from=3")));
        assertNull(page(s, "?direction=backward&from=3").getValue("next"));
        assertEquals(List.of(4L, 3L, 2L, 1L, 0L), versions(page(s, "?direction=backward")));
    }

    @Test
    void shouldCarryTheNextCursorInHeadersAndLinks() {
        String s = fiveEvents("read-link");
        Response r = given().get("/streams/{s}?limit=2", s);
        assertEquals("2", r.header("Strand-Next"));
        String link = r.header("Link");
        assertTrue(link != null && link.contains("rel=\"next\"") && link.contains("from=2"), link);
        String target = link.substring(link.indexOf('<') + 1, link.indexOf('>'));
        JsonObject followed = new JsonObject(given().get(target).then().statusCode(200).extract().asString());
        assertEquals(List.of(2L, 3L), versions(followed));

        Response back = given().get("/streams/{s}?limit=2&direction=backward", s);
        assertEquals("2", back.header("Strand-Next"));
        String backTarget = back.header("Link").substring(back.header("Link").indexOf('<') + 1, back.header("Link").indexOf('>'));
        assertEquals(List.of(2L, 1L), versions(new JsonObject(given().get(backTarget).then().statusCode(200).extract().asString())));

        Response end = given().get("/streams/{s}?from=4", s);
        assertNull(end.header("Strand-Next"), "no next page, no Strand-Next");
        assertNull(end.header("Link"));
    }

    @Test
    void shouldServeNdjsonOneEventPerLine() {
        String s = fiveEvents("read-ndjson");
        Response r = given().accept("application/x-ndjson").get("/streams/{s}?limit=3", s);
        assertEquals(200, r.statusCode());
        assertTrue(r.contentType().startsWith("application/x-ndjson"), r.contentType());
        String body = r.asString();
        assertTrue(body.endsWith("\n"));
        String[] lines = body.split("\n");
        assertEquals(3, lines.length);
        for (int i = 0; i < 3; i++) {
            JsonObject e = new JsonObject(lines[i]);
            assertEquals((long) i, e.getLong("version"));
            assertEquals(s, e.getString("stream"));
            assertEquals("T" + i, e.getString("type"));
        }
        assertEquals("3", r.header("Strand-Next"));
        assertTrue(r.header("Link").contains("from=3"), r.header("Link"));
        Response rest = given().accept("application/x-ndjson").get("/streams/{s}?from=3&limit=3", s);
        assertEquals(2, rest.asString().split("\n").length);
        assertNull(rest.header("Strand-Next"));
        // backward too
        String[] back = given().accept("application/x-ndjson").get("/streams/{s}?direction=backward", s).asString().split("\n");
        assertEquals(4L, new JsonObject(back[0]).getLong("version"));
        assertEquals(0L, new JsonObject(back[4]).getLong("version"));
    }

    @Test
    void shouldServeBinaryFramesOfTheStoredRecords() {
        String s = unique("read-binary");
        UUID id = UUID.randomUUID();
        appendJson(s, "[{\"id\":\"" + id + "\",\"type\":\"J\",\"data\":{ \"a\": 2.50 },\"metadata\":{\"m\": 1e3}},"
                + "{\"type\":\"J2\",\"data\":[1]},{\"type\":\"J3\",\"data\":\"s\"}]");
        byte[] bin = {0, 1, 2, (byte) 0xFF, 10, 13};
        given().contentType("application/octet-stream").header("Event-Type", "Bin").body(bin).post("/streams/{s}", s)
                .then().statusCode(201);
        JsonArray json = page(s, "").getJsonArray("events");

        Response r = given().accept("application/octet-stream").get("/streams/{s}?limit=3", s);
        assertEquals(200, r.statusCode());
        assertTrue(r.contentType().startsWith("application/octet-stream"), r.contentType());
        assertEquals("3", r.header("Strand-Next"));
        assertTrue(r.header("Link").contains("from=3") && r.header("Link").contains("rel=\"next\""), r.header("Link"));
        List<ApiSupport.Frame> frames = ApiSupport.frames(r.asByteArray());
        assertEquals(3, frames.size());
        for (int i = 0; i < 3; i++) {
            ApiSupport.Frame f = frames.get(i);
            JsonObject e = json.getJsonObject(i);
            assertEquals(e.getLong("position"), f.position(), "frame position is the event's log position");
            assertEquals(s, f.record().stream());
            assertEquals((long) i, f.record().version());
            assertEquals(e.getString("id"), f.record().id().toString());
            assertEquals(e.getString("type"), f.record().type());
            assertEquals(java.time.Instant.parse(e.getString("timestamp")).toEpochMilli(), f.record().timestamp());
            assertTrue(!f.record().binary());
            assertEquals(i < 2, f.record().batchContinues(), "every record but the batch's last says the batch continues");
        }
        assertEquals(id, frames.get(0).record().id());
        assertEquals("{\"a\":2.50}", frames.get(0).record().dataText());
        assertEquals("{\"m\":1e3}", new String(frames.get(0).record().metadata(), StandardCharsets.UTF_8));
        assertEquals("[1]", frames.get(1).record().dataText());
        assertEquals("\"s\"", frames.get(2).record().dataText());

        Response last = given().accept("application/octet-stream").get("/streams/{s}?from=3", s);
        List<ApiSupport.Frame> tail = ApiSupport.frames(last.asByteArray());
        assertEquals(1, tail.size());
        assertTrue(tail.get(0).record().binary());
        assertArrayEquals(bin, tail.get(0).record().data());
        assertEquals(0, tail.get(0).record().metadata().length);
        assertNull(last.header("Strand-Next"));

        // an empty page is a count of 0
        Response empty = given().accept("application/octet-stream").get("/streams/{s}?from=9", s);
        assertEquals(200, empty.statusCode());
        assertArrayEquals(new byte[4], empty.asByteArray());
        assertNull(empty.header("Strand-Next"));

        // the records hold exactly the bytes the log holds at those positions
        byte[] raw = given().get("/log?from=" + frames.get(0).position() + "&maxBytes=65536").then().statusCode(200)
                .extract().asByteArray();
        int at = 0;
        for (ApiSupport.Frame f : frames) {
            assertEquals(f.position() - frames.get(0).position(), at);
            assertArrayEquals(f.recordBytes(), java.util.Arrays.copyOfRange(raw, at, at + f.recordBytes().length));
            at += ApiSupport.align8(f.recordBytes().length);
        }

        // backward binary pages
        List<ApiSupport.Frame> back = ApiSupport.frames(given().accept("application/octet-stream")
                .get("/streams/{s}?direction=backward&limit=2", s).asByteArray());
        assertEquals(List.of(3L, 2L), back.stream().map(f -> f.record().version()).toList());
    }

    @Test
    void shouldServeBinaryPagesOfScatteredRecordsAndReleaseThemCleanly() throws Exception {
        // Two streams appended in turns: each stream's records are apart in the log, so a page is
        // several slices of one segment; a backward page is out of log order. The server must neither
        // mix the records up nor fail while releasing the page once it is written.
        List<LogRecord> errors = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.SEVERE.intValue() || r.getThrown() != null) {
                    errors.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try {
            String a = unique("read-scatter-a");
            String b = unique("read-scatter-b");
            for (int i = 0; i < 3; i++) {
                appendJson(a, "{\"type\":\"A" + i + "\",\"data\":" + i + "}");
                appendJson(b, "{\"type\":\"B" + i + "\",\"data\":\"" + "b".repeat(i * 10) + "\"}");
            }
            JsonArray json = page(a, "").getJsonArray("events");
            for (String q : new String[]{"", "?direction=backward"}) {
                List<ApiSupport.Frame> frames = ApiSupport.frames(given().accept("application/octet-stream")
                        .get("/streams/" + a + q).then().statusCode(200).extract().asByteArray());
                assertEquals(3, frames.size());
                for (int i = 0; i < 3; i++) {
                    int v = q.isEmpty() ? i : 2 - i;
                    assertEquals(json.getJsonObject(v).getLong("position"), frames.get(i).position());
                    assertEquals((long) v, frames.get(i).record().version());
                    assertEquals("A" + v, frames.get(i).record().type());
                    assertEquals(String.valueOf(v), frames.get(i).record().dataText());
                }
            }
            List<ApiSupport.Frame> all = ApiSupport.frames(given().accept("application/octet-stream")
                    .get("/all?limit=6&from=" + json.getJsonObject(0).getLong("position")).then().statusCode(200)
                    .extract().asByteArray());
            assertEquals(List.of("A0", "B0", "A1", "B1", "A2", "B2"), all.stream().map(f -> f.record().type()).toList());
            Thread.sleep(300); // pages are released after they were written
            assertTrue(errors.isEmpty(), () -> "server errors while serving binary pages: " + errors.stream()
                    .map(r -> r.getMessage() + " " + r.getThrown()).toList());
        } finally {
            root.removeHandler(capture);
        }
    }

    @Test
    void shouldServeOneEventAsJsonOrAsItsRawDataBytes() {
        String s = unique("read-one");
        appendJson(s, "{\"type\":\"Json\",\"data\": { \"n\": 2.50, \"e\": 1e3 } }");
        byte[] bin = new byte[256];
        for (int i = 0; i < bin.length; i++) {
            bin[i] = (byte) i;
        }
        UUID id = UUID.randomUUID();
        given().contentType("application/octet-stream").header("Event-Type", "Blob").header("Event-Id", id.toString())
                .body(bin).post("/streams/{s}", s).then().statusCode(201);

        Response json = given().get("/streams/{s}/1", s);
        assertEquals(200, json.statusCode());
        assertTrue(json.contentType().startsWith("application/json"));
        JsonObject e = new JsonObject(json.asString());
        assertEquals(1L, e.getLong("version"));
        assertEquals(s, e.getString("stream"));
        assertEquals("base64", e.getString("dataEncoding"));
        assertArrayEquals(bin, java.util.Base64.getDecoder().decode(e.getString("data")));
        assertTimestamp(e.getString("timestamp"));

        Response raw = given().accept("application/octet-stream").get("/streams/{s}/1", s);
        assertEquals(200, raw.statusCode());
        assertTrue(raw.contentType().startsWith("application/octet-stream"), raw.contentType());
        assertArrayEquals(bin, raw.asByteArray());
        assertEquals("Blob", raw.header("Event-Type"));
        assertEquals(id.toString(), raw.header("Event-Id"));
        assertEquals("1", raw.header("Event-Version"));
        assertEquals(String.valueOf(e.getLong("position")), raw.header("Event-Position"));

        // a JSON event's raw bytes are its (compact) JSON text
        Response rawJson = given().accept("application/octet-stream").get("/streams/{s}/0", s);
        assertEquals(200, rawJson.statusCode());
        assertEquals("{\"n\":2.50,\"e\":1e3}", new String(rawJson.asByteArray(), StandardCharsets.UTF_8));
        assertEquals("Json", rawJson.header("Event-Type"));
        assertEquals("0", rawJson.header("Event-Version"));
    }

    @Test
    void shouldAnswer404ForAnUnknownStreamOrVersion() {
        String known = fiveEvents("read-404");
        String unknown = unique("read-404-none");
        assertProblem(given().get("/streams/{s}", unknown), 404);
        assertProblem(given().accept("application/x-ndjson").get("/streams/{s}", unknown), 404);
        assertProblem(given().accept("application/octet-stream").get("/streams/{s}", unknown), 404);
        assertProblem(given().get("/streams/{s}?direction=backward", unknown), 404);
        assertProblem(given().get("/streams/{s}/0", unknown), 404);
        assertProblem(given().accept("application/octet-stream").get("/streams/{s}/0", unknown), 404);
        assertProblem(given().get("/streams/{s}/5", known), 404);
        assertProblem(given().get("/streams/{s}/9223372036854775807", known), 404);
        assertProblem(given().accept("application/octet-stream").get("/streams/{s}/5", known), 404);
    }

    @Test
    void shouldRefuseBadQueryValuesWith400() {
        String s = fiveEvents("read-400");
        long before = log.committedPosition();
        String[] queries = {"?from=-1", "?from=abc", "?from=1.5", "?from=", "?from=99999999999999999999",
                "?limit=abc", "?limit=0", "?limit=-5", "?limit=", "?direction=sideways", "?direction=", "?direction=BACKWARDS",
                "?from=-1&direction=backward"};
        for (String q : queries) {
            assertProblem(given().get("/streams/" + s + q), 400);
            assertProblem(given().accept("application/x-ndjson").get("/streams/" + s + q), 400);
            assertProblem(given().accept("application/octet-stream").get("/streams/" + s + q), 400);
        }
        for (String v : new String[]{"-1", "abc", "1.0", "1e2"}) {
            assertProblem(given().get("/streams/" + s + "/" + v), 400);
        }
        assertEquals(before, log.committedPosition());
    }

    @Test
    void shouldHonourAcceptQualityValues() {
        String s = fiveEvents("read-accept");
        // the client prefers JSON: the NDJSON it also lists at q=0.1 loses
        Response r = given().header("Accept", "application/x-ndjson;q=0.1, application/json").get("/streams/" + s);
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        assertEquals(5, new JsonObject(r.asString()).getJsonArray("events").size());
        // q=0 refuses a type outright; wildcards fall back to JSON
        r = given().header("Accept", "application/x-ndjson;q=0, */*").get("/streams/" + s);
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        r = given().header("Accept", "application/*").get("/streams/" + s);
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        r = given().header("Accept", "text/html;q=0.9, application/x-ndjson;q=0.5").get("/streams/" + s);
        assertTrue(r.contentType().startsWith("application/x-ndjson"), r.contentType());
        assertEquals(5, r.asString().split("\n").length);
        // text/event-stream at q=0 is not a subscription
        r = given().header("Accept", "text/event-stream;q=0, application/json").get("/streams/" + s);
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
    }

    @Test
    void shouldAnswerHeadLikeGetWithoutABody() {
        String s = fiveEvents("read-head");
        Response get = given().get("/streams/" + s + "/1");
        Response head = given().head("/streams/" + s + "/1");
        assertEquals(200, head.statusCode());
        assertTrue(head.contentType().startsWith("application/json"), head.contentType());
        assertEquals(0, head.asByteArray().length);
        assertEquals(200, get.statusCode());
        assertEquals(Integer.toString(get.asByteArray().length), head.header("Content-Length"), "HEAD gives GET's length");
        assertEquals(200, given().head("/streams/" + s).statusCode());
        assertEquals(200, given().head("/all").statusCode());
        assertEquals(200, given().head("/streams").statusCode());
        String nowhere = "/streams/" + unique("read-head-missing");
        Response missing = given().head(nowhere);
        assertEquals(404, missing.statusCode());
        assertEquals(0, missing.asByteArray().length);
        assertEquals("application/problem+json", missing.contentType());
        assertEquals(Integer.toString(given().get(nowhere).asByteArray().length), missing.header("Content-Length"),
                "a HEAD problem says the length of GET's problem");
    }

    @Test
    void shouldAnswerUnknownRoutesAndMethodsWithProblems() {
        JsonObject p = assertProblem(given().get("/no-such-resource"), 404);
        assertTrue(p.getString("detail").contains("/no-such-resource"), p.encode());
        assertProblem(given().get("/streams/a/1/extra"), 404);
        String s = fiveEvents("read-405");
        Response patch = given().contentType("application/json").body("{}").patch("/streams/" + s);
        assertProblem(patch, 405);
        assertEquals("GET, HEAD, POST, DELETE", patch.header("Allow"));
        assertProblem(given().contentType("application/json").body("{}").put("/streams/" + s), 405);
        assertProblem(given().contentType("application/json").body("{}").post("/all"), 405);
        assertEquals(5, page(s, "").getJsonArray("events").size(), "refused methods change nothing");
    }
}
