package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strand.log.CommitLog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static io.strand.http.ApiSupport.appendJson;
import static io.strand.http.ApiSupport.assertProblem;
import static io.strand.http.ApiSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /all} by position (JSON, NDJSON, binary; 400 off a record boundary) and {@code GET /streams}. */
@QuarkusTest
class AllAndListApiTest {
    @Inject
    CommitLog log;

    private static JsonObject all(String query) {
        Response r = given().get("/all" + query);
        assertEquals(200, r.statusCode(), r.asString());
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        return new JsonObject(r.asString());
    }

    @Test
    void shouldPageTheGlobalLogByPosition() {
        String a = unique("all-a");
        String b = unique("all-b");
        long p = new JsonObject(appendJson(a, ApiSupport.batch(2)).asString()).getLong("position");
        appendJson(b, "{\"type\":\"B0\",\"data\":\"b\"}");
        appendJson(a, "{\"type\":\"A2\",\"data\":2}");

        JsonObject page1 = all("?from=" + p + "&limit=2");
        JsonArray e1 = page1.getJsonArray("events");
        assertEquals(2, e1.size());
        assertEquals(p, e1.getJsonObject(0).getLong("position"));
        assertEquals(a, e1.getJsonObject(0).getString("stream"));
        assertEquals(0L, e1.getJsonObject(0).getLong("version"));
        assertEquals(a, e1.getJsonObject(1).getString("stream"));
        assertEquals(1L, e1.getJsonObject(1).getLong("version"));
        assertTrue(e1.getJsonObject(1).getLong("position") > p);
        Long next = page1.getLong("next");
        assertNotNull(next);
        assertTrue(next > e1.getJsonObject(1).getLong("position"));

        JsonObject page2 = all("?from=" + next + "&limit=2");
        JsonArray e2 = page2.getJsonArray("events");
        assertEquals(2, e2.size());
        assertEquals(next, e2.getJsonObject(0).getLong("position"), "next is the following event's position");
        assertEquals(b, e2.getJsonObject(0).getString("stream"));
        assertEquals(a, e2.getJsonObject(1).getString("stream"));
        assertEquals(2L, e2.getJsonObject(1).getLong("version"));
        // nothing else is appended by this JVM meanwhile: these were the last events, so there is no next page
        assertTrue(page2.containsKey("next"));
        assertNull(page2.getValue("next"), "a page ending at the last event has next null");

        Response h = given().get("/all?from=" + p + "&limit=2");
        assertEquals(String.valueOf(next), h.header("Strand-Next"));
        assertTrue(h.header("Link").contains("from=" + next) && h.header("Link").contains("rel=\"next\""), h.header("Link"));
        assertNull(given().get("/all?from=" + next + "&limit=2").header("Strand-Next"));

        // NDJSON and binary pages of the same range
        String[] lines = given().accept("application/x-ndjson").get("/all?from=" + p + "&limit=4").asString().split("\n");
        assertEquals(4, lines.length);
        assertEquals(p, new JsonObject(lines[0]).getLong("position"));
        assertEquals(next, new JsonObject(lines[2]).getLong("position"));
        Response bin = given().accept("application/octet-stream").get("/all?from=" + p + "&limit=3");
        assertTrue(bin.contentType().startsWith("application/octet-stream"));
        List<ApiSupport.Frame> frames = ApiSupport.frames(bin.asByteArray());
        assertEquals(3, frames.size());
        assertEquals(p, frames.get(0).position());
        assertEquals(next, frames.get(2).position());
        assertEquals(b, frames.get(2).record().stream());
        assertNotNull(bin.header("Strand-Next"));
        assertNotNull(bin.header("Link"));

        // from the end: an empty page
        JsonObject end = all("?from=" + log.committedPosition());
        assertEquals(0, end.getJsonArray("events").size());
        assertNull(end.getValue("next"));
    }

    @Test
    void shouldStartAtTheFirstRetainedEventWhenFromIsOmittedOrZero() {
        appendJson(unique("all-first"), "{\"type\":\"X\",\"data\":0}");
        JsonObject omitted = all("?limit=1");
        JsonObject zero = all("?from=0&limit=1");
        assertEquals(1, omitted.getJsonArray("events").size());
        assertEquals(log.firstPosition(), omitted.getJsonArray("events").getJsonObject(0).getLong("position"));
        assertEquals(omitted, zero);
        assertNotNull(omitted.getValue("next"));
    }

    @Test
    void shouldRefuseAPositionThatIsNotARecordBoundaryWith400() {
        String s = unique("all-boundary");
        long p = new JsonObject(appendJson(s, ApiSupport.batch(2)).asString()).getLong("position");
        for (long off : new long[]{1, 4, 8, 16, 64}) {
            assertProblem(given().get("/all?from=" + (p + off)), 400);
            assertProblem(given().accept("application/octet-stream").get("/all?from=" + (p + off)), 400);
        }
        for (String q : new String[]{"?from=-1", "?from=abc", "?limit=abc", "?limit=0", "?limit=-1"}) {
            assertProblem(given().get("/all" + q), 400);
        }
    }

    @Test
    void shouldRefuseAPositionInsideAnEventWhoseDataHoldsAValidRecordWith400() {
        String victim = unique("victim");
        appendJson(victim, "{\"type\":\"Real\",\"data\":0}");
        // A CRC-valid record, as the store writes it, claiming to be the victim's version 0.
        io.strand.log.EventRecord forged = io.strand.log.EventRecord.of(victim, "Forged", java.util.UUID.randomUUID(),
                null, "{\"forged\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
        java.nio.ByteBuffer rec = java.nio.ByteBuffer.allocate(forged.framedLength());
        io.strand.log.RecordDescriptor.encode(rec, rec.duplicate(), new java.util.zip.CRC32C(), 0, forged, 0,
                System.currentTimeMillis(), 0);
        String evil = unique("evil");
        String type = "Blob";
        int dataOffset = io.strand.log.RecordDescriptor.HEADER_LENGTH + evil.length() + type.length();
        int pad = (8 - dataOffset % 8) % 8; // so the forged record starts 8-aligned, as records do
        byte[] data = new byte[pad + rec.capacity()];
        System.arraycopy(rec.array(), 0, data, pad, rec.capacity());
        Response r = given().contentType("application/octet-stream").header("Event-Type", type).body(data)
                .post("/streams/{s}", evil);
        assertEquals(201, r.statusCode(), r.asString());
        long outer = new JsonObject(r.asString()).getLong("position");
        long inside = outer + dataOffset + pad;

        assertProblem(given().get("/all?from=" + inside), 400);
        assertProblem(given().accept("application/octet-stream").get("/all?from=" + inside), 400);
        assertProblem(given().accept("application/x-ndjson").get("/all?from=" + inside), 400);
        assertProblem(given().header("Accept", "text/event-stream").get("/all?from=" + inside), 400);
        assertProblem(given().header("Accept", "text/event-stream").header("Last-Event-ID", Long.toString(inside))
                .get("/all"), 400);
        assertProblem(given().get("/log?from=" + inside), 400);
        // The real boundary of the same event is fine.
        JsonObject page = all("?from=" + outer + "&limit=1");
        assertEquals(evil, page.getJsonArray("events").getJsonObject(0).getString("stream"));
        assertEquals(200, given().get("/log?from=" + outer).statusCode());
    }

    @Test
    void shouldListStreamsWithTheirFirstAndLastVersion() {
        String a = unique("list-a");
        String b = unique("list-b");
        String c = unique("list-c");
        appendJson(a, ApiSupport.batch(3));
        appendJson(b, "{\"type\":\"B\",\"data\":0}");
        appendJson(c, ApiSupport.batch(2));
        // refused appends do not make streams
        String refused = unique("list-refused");
        assertProblem(given().contentType("application/json").header("Expected-Version", "exists")
                .body("{\"type\":\"X\",\"data\":0}").post("/streams/{s}", refused), 409);
        assertProblem(given().contentType("application/json").body("{\"data\":0}").post("/streams/{s}", refused), 400);

        Map<String, JsonObject> found = new HashMap<>();
        Long from = 0L;
        int pages = 0;
        while (from != null) {
            Response r = given().get("/streams?limit=1000&from=" + from);
            assertEquals(200, r.statusCode(), r.asString());
            assertTrue(r.contentType().startsWith("application/json"));
            JsonObject page = new JsonObject(r.asString());
            assertTrue(page.containsKey("next"));
            for (Object o : page.getJsonArray("streams")) {
                JsonObject s = (JsonObject) o;
                assertTrue(!s.getString("name").startsWith("$"), "reserved streams are not listed: " + s);
                found.put(s.getString("name"), s);
            }
            from = page.getLong("next");
            assertTrue(++pages < 10_000);
        }
        assertEquals(new JsonObject().put("name", a).put("firstVersion", 0).put("lastVersion", 2), found.get(a));
        assertEquals(new JsonObject().put("name", b).put("firstVersion", 0).put("lastVersion", 0), found.get(b));
        assertEquals(new JsonObject().put("name", c).put("firstVersion", 0).put("lastVersion", 1), found.get(c));
        assertTrue(!found.containsKey(refused), "a refused append lists no stream");

        // small pages: next moves on and the pages together list the same streams
        JsonObject first = new JsonObject(given().get("/streams?limit=1").then().statusCode(200).extract().asString());
        assertEquals(1, first.getJsonArray("streams").size());
        assertNotNull(first.getValue("next"));
        JsonObject second = new JsonObject(given().get("/streams?limit=1&from=" + first.getLong("next"))
                .then().statusCode(200).extract().asString());
        assertTrue(second.getJsonArray("streams").isEmpty()
                || !second.getJsonArray("streams").getJsonObject(0).getString("name")
                .equals(first.getJsonArray("streams").getJsonObject(0).getString("name")));

        for (String q : new String[]{"?from=-1", "?from=abc", "?limit=abc", "?limit=0"}) {
            assertProblem(given().get("/streams" + q), 400);
        }
    }
}
