package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strand.log.CommitLog;
import io.strand.log.LogSlice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.restassured.RestAssured.given;
import static io.strand.http.ApiSupport.appendJson;
import static io.strand.http.ApiSupport.assertProblem;
import static io.strand.http.ApiSupport.unique;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code PUT}/{@code GET /groups/{group}/streams/{stream}} and {@code GET /log?from=&maxBytes=}. */
@QuarkusTest
class GroupAndLogApiTest {
    @Inject
    CommitLog log;

    @Test
    void shouldCommitAndReadAGroupVersion() {
        String g = unique("group");
        String s = unique("group-stream");
        appendJson(s, ApiSupport.batch(5));
        assertProblem(given().get("/groups/{g}/streams/{s}", g, s), 404);

        Response put = given().contentType("application/json").body("{\"version\": 3}").put("/groups/{g}/streams/{s}", g, s);
        assertEquals(204, put.statusCode(), put.asString());
        assertEquals("", put.asString());
        Response get = given().get("/groups/{g}/streams/{s}", g, s);
        assertEquals(200, get.statusCode());
        assertTrue(get.contentType().startsWith("application/json"));
        assertEquals(new JsonObject().put("group", g).put("stream", s).put("version", 3), new JsonObject(get.asString()));

        given().contentType("application/json; charset=utf-8").body("{\"version\":4}").put("/groups/{g}/streams/{s}", g, s)
                .then().statusCode(204);
        assertEquals(4, new JsonObject(given().get("/groups/{g}/streams/{s}", g, s).asString()).getInteger("version"));
        // -1: nothing consumed
        given().contentType("application/json").body("{\"version\":-1}").put("/groups/{g}/streams/{s}", g, s).then().statusCode(204);
        assertEquals(-1, new JsonObject(given().get("/groups/{g}/streams/{s}", g, s).asString()).getInteger("version"));

        // moving back is a reset; beyond the last version, or a stream that does not exist, is refused
        given().contentType("application/json").body("{\"version\":1}").put("/groups/{g}/streams/{s}", g, s).then().statusCode(204);
        assertEquals(1, new JsonObject(given().get("/groups/{g}/streams/{s}", g, s).asString()).getInteger("version"));
        assertProblem(given().contentType("application/json").body("{\"version\":5}").put("/groups/{g}/streams/{s}", g, s), 400);
        assertProblem(given().contentType("application/json").body("{\"version\":0}").put("/groups/{g}/streams/{s}", g,
                unique("group-no-stream")), 404);
        assertEquals(1, new JsonObject(given().get("/groups/{g}/streams/{s}", g, s).asString()).getInteger("version"));

        // another group, or the same group on another stream, has committed nothing
        assertProblem(given().get("/groups/{g}/streams/{s}", unique("group-other"), s), 404);
        assertProblem(given().get("/groups/{g}/streams/{s}", g, unique("group-stream-other")), 404);
    }

    @Test
    void shouldRefuseBadGroupCommitsWith400Or415() {
        String g = unique("group-bad");
        String s = unique("group-bad-stream");
        appendJson(s, ApiSupport.batch(2));
        String[] bodies = {"", "{", "not json", "[]", "[1]", "{}", "{\"version\":null}", "{\"version\":\"3\"}", "{\"version\":1.5}",
                "{\"version\":-2}", "{\"version\":true}", "{\"v\":1}", "3"};
        for (String body : bodies) {
            assertProblem(given().contentType("application/json").body(body).put("/groups/{g}/streams/{s}", g, s), 400);
        }
        for (String ct : new String[]{"text/plain", "application/xml", "application/octet-stream"}) {
            assertProblem(given().contentType(ct).body("{\"version\":1}".getBytes()).put("/groups/{g}/streams/{s}", g, s), 415);
        }
        assertProblem(given().contentType("application/json").body("{\"version\":1}").put("/groups/{g}/streams/{s}", "a b", s), 400);
        assertProblem(given().contentType("application/json").body("{\"version\":1}").put("/groups/{g}/streams/{s}", g, "$x"), 400);
        assertProblem(given().contentType("application/json").body("{\"version\":1}").put("/groups/{g}/streams/{s}", "x".repeat(201), s), 400);
        assertProblem(given().get("/groups/{g}/streams/{s}", "a b", s), 400);
        assertProblem(given().get("/groups/{g}/streams/{s}", g, "$x"), 400);
        // nothing was committed by any of them
        assertProblem(given().get("/groups/{g}/streams/{s}", g, s), 404);
    }

    @Test
    void shouldServeRawLogBytesEqualToTheRecords() {
        String s = unique("log");
        JsonObject appended = new JsonObject(appendJson(s, "[{\"type\":\"L0\",\"data\":{\"a\":1}},{\"type\":\"L1\",\"data\":[2.50]},"
                + "{\"type\":\"L2\",\"data\":\"three\",\"metadata\":{\"k\":\"v\"}}]").asString());
        long p = appended.getLong("position");
        long end = log.committedPosition();
        int total = (int) (end - p);

        Response r = given().get("/log?from=" + p + "&maxBytes=" + total);
        assertEquals(200, r.statusCode(), r.asString());
        assertTrue(r.contentType().startsWith("application/octet-stream"), r.contentType());
        byte[] bytes = r.asByteArray();
        assertEquals(total, bytes.length, "the whole batch, padding included");
        assertEquals(String.valueOf(end), r.header("Strand-Next"));
        try (LogSlice slice = log.read(p, total)) {
            ByteBuffer b = slice.buffer();
            byte[] expected = new byte[b.remaining()];
            b.duplicate().get(expected);
            assertArrayEquals(expected, bytes, "the bytes are the log's own");
        }
        Response mmap = given().get("/log?from=" + p + "&maxBytes=" + total + "&via=mmap");
        assertEquals(200, mmap.statusCode(), mmap.asString());
        assertArrayEquals(bytes, mmap.asByteArray(), "the mapped (read-only) slice sends the same bytes");
        // and they decode as the three records of the batch
        int at = 0;
        for (int i = 0; i < 3; i++) {
            ApiSupport.Rec rec = ApiSupport.decodeRecord(bytes, at, -1);
            assertEquals(s, rec.stream());
            assertEquals((long) i, rec.version());
            assertEquals("L" + i, rec.type());
            assertEquals(i < 2, rec.batchContinues());
            at += ApiSupport.align8(rec.length());
            for (int pad = at - ApiSupport.align8(rec.length()) + rec.length(); pad < at; pad++) {
                assertEquals(0, bytes[pad], "padding is zero");
            }
        }
        assertEquals(total, at);
        assertEquals("[2.50]", ApiSupport.decodeRecord(bytes, ApiSupport.align8(ApiSupport.decodeRecord(bytes, 0, -1).length()), -1).dataText());

        // maxBytes smaller than a record still gives one whole record; Strand-Next walks the records
        long pos = p;
        for (int i = 0; i < 3; i++) {
            Response one = given().get("/log?from=" + pos + "&maxBytes=1");
            assertEquals(200, one.statusCode());
            byte[] rec = one.asByteArray();
            ApiSupport.Rec decoded = ApiSupport.decodeRecord(rec, 0, -1);
            assertEquals((long) i, decoded.version());
            assertEquals(ApiSupport.align8(decoded.length()), rec.length);
            long next = Long.parseLong(one.header("Strand-Next"));
            assertEquals(pos + rec.length, next);
            assertArrayEquals(Arrays.copyOfRange(bytes, (int) (pos - p), (int) (next - p)), rec);
            pos = next;
        }
        assertEquals(end, pos);

        // at the end: nothing, and Strand-Next stays
        Response atEnd = given().get("/log?from=" + end);
        assertEquals(200, atEnd.statusCode());
        assertEquals(0, atEnd.asByteArray().length);
        assertEquals(String.valueOf(end), atEnd.header("Strand-Next"));

        // the binary read path and the raw log agree on the records
        JsonArray events = new JsonObject(given().get("/streams/{s}", s).asString()).getJsonArray("events");
        assertEquals(p, events.getJsonObject(0).getLong("position"));
    }

    @Test
    void shouldStartTheLogAtTheFirstPositionByDefault() {
        appendJson(unique("log-first"), "{\"type\":\"F\",\"data\":0}");
        Response r = given().get("/log?maxBytes=4096");
        assertEquals(200, r.statusCode());
        byte[] bytes = r.asByteArray();
        assertTrue(bytes.length > 0);
        ApiSupport.Rec first = ApiSupport.decodeRecord(bytes, 0, -1);
        assertTrue(first.length() >= 64);
        Response zero = given().get("/log?from=0&maxBytes=4096");
        assertArrayEquals(bytes, zero.asByteArray());
        assertEquals(r.header("Strand-Next"), zero.header("Strand-Next"));
        assertTrue(Long.parseLong(r.header("Strand-Next")) > log.firstPosition());
    }

    @Test
    void shouldRefuseBadLogQueriesWith400() {
        long p = new JsonObject(appendJson(unique("log-bad"), ApiSupport.batch(2)).asString()).getLong("position");
        for (String q : new String[]{"?from=-1", "?from=abc", "?maxBytes=0", "?maxBytes=-1", "?maxBytes=abc",
                "?from=" + (p + 4), "?from=" + (p + 8), "?from=" + (p + 16)}) {
            assertProblem(given().get("/log" + q), 400);
        }
    }
}
