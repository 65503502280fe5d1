package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strand.log.CommitLog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static io.strand.http.ApiSupport.appendJson;
import static io.strand.http.ApiSupport.assertProblem;
import static io.strand.http.ApiSupport.assertTimestamp;
import static io.strand.http.ApiSupport.compact;
import static io.strand.http.ApiSupport.rawMember;
import static io.strand.http.ApiSupport.unique;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /streams/{stream}}: the successful appends of the contract (one JSON event, a batch,
 * ids, metadata, a binary event, {@code Expected-Version}, {@code Durability}, repeats) and the 409s.
 */
@QuarkusTest
class AppendApiTest {
    @Inject
    CommitLog log;

    @Test
    void shouldAppendOneJsonEventWithAServerAssignedIdAndAnswer201WithLocation() {
        String s = unique("append-one");
        long before = log.committedPosition();
        Response r = appendJson(s, "{\"type\":\"Opened\",\"data\":{\"owner\":\"ann\"}}");
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        JsonObject body = new JsonObject(r.asString());
        assertEquals(s, body.getString("stream"));
        assertEquals(0L, body.getLong("firstVersion"));
        assertEquals(0L, body.getLong("lastVersion"));
        assertTrue(body.getLong("position") >= before, "position of the first event is at or after the old tail");
        assertEquals("async", body.getString("durability"), "the test server flushes asynchronously");
        assertEquals(Set.of("stream", "firstVersion", "lastVersion", "position", "durability"), body.fieldNames());
        assertTrue(r.header("Location").endsWith("/streams/" + s + "/0"), r.header("Location"));
        assertTrue(log.committedPosition() > before);

        JsonObject e = new JsonObject(given().get(r.header("Location")).then().statusCode(200).extract().asString());
        assertEquals(s, e.getString("stream"));
        assertEquals(0L, e.getLong("version"));
        assertEquals(body.getLong("position"), e.getLong("position"));
        assertEquals("Opened", e.getString("type"));
        UUID.fromString(e.getString("id")); // a server-assigned UUID
        assertEquals(36, e.getString("id").length());
        assertTimestamp(e.getString("timestamp"));
        assertEquals(new JsonObject().put("owner", "ann"), e.getJsonObject("data"));
        assertEquals(new JsonObject(), e.getJsonObject("metadata"), "no metadata reads back as {}");
        assertNull(e.getValue("dataEncoding"), "JSON data has no dataEncoding");
    }

    @Test
    void shouldAppendABatchAtomicallyWithConsecutiveVersionsAndDistinctAssignedIds() {
        String s = unique("append-batch");
        appendJson(s, "{\"type\":\"First\",\"data\":1}");
        Response r = appendJson(s, ApiSupport.batch(3));
        JsonObject body = new JsonObject(r.asString());
        assertEquals(1L, body.getLong("firstVersion"));
        assertEquals(3L, body.getLong("lastVersion"));
        assertTrue(r.header("Location").endsWith("/streams/" + s + "/1"), r.header("Location"));

        JsonArray events = new JsonObject(given().get("/streams/{s}", s).then().statusCode(200).extract().asString())
                .getJsonArray("events");
        assertEquals(4, events.size());
        assertEquals(body.getLong("position"), events.getJsonObject(1).getLong("position"), "position is the first event's");
        Set<String> ids = new HashSet<>();
        for (int i = 1; i <= 3; i++) {
            JsonObject e = events.getJsonObject(i);
            assertEquals((long) i, e.getLong("version"));
            assertEquals("T" + (i - 1), e.getString("type"));
            assertEquals(new JsonObject().put("i", i - 1), e.getJsonObject("data"));
            assertTrue(e.getLong("position") > events.getJsonObject(i - 1).getLong("position"));
            ids.add(e.getString("id"));
        }
        assertEquals(3, ids.size(), "every event gets its own id");
    }

    @Test
    void shouldKeepClientIdsAndMetadata() {
        String s = unique("append-ids");
        UUID id = UUID.randomUUID();
        appendJson(s, "{\"id\":\"" + id + "\",\"type\":\"Tagged\",\"data\":[1, 2],"
                + "\"metadata\": {\"correlation\": \"c-1\", \"n\": 2.50, \"nested\": {\"a\": [true, null]}}}");
        String text = given().get("/streams/{s}/0", s).then().statusCode(200).extract().asString();
        JsonObject e = new JsonObject(text);
        assertEquals(id.toString(), e.getString("id"));
        assertEquals("{\"correlation\":\"c-1\",\"n\":2.50,\"nested\":{\"a\":[true,null]}}", rawMember(text, "metadata"),
                "metadata comes back as the same JSON value, digit for digit");
        assertEquals("[1,2]", rawMember(text, "data"));
    }

    @Test
    void shouldEscapeTypesAndTreatNullMetadataAsNone() {
        String s = unique("append-types");
        String type = "Ünïcode \"quoted\" \\ back/slash ✓";
        String typeJson = "Ünïcode \\\"quoted\\\" \\\\ back/slash ✓";
        appendJson(s, "{\"type\":\"" + typeJson + "\",\"data\":{},\"metadata\":null}");
        JsonObject e = new JsonObject(given().get("/streams/{s}/0", s).then().statusCode(200).extract().asString());
        assertEquals(type, e.getString("type"));
        assertEquals(new JsonObject(), e.getJsonObject("metadata"));
        String line = given().accept("application/x-ndjson").get("/streams/{s}", s).then().statusCode(200).extract().asString();
        assertEquals(type, new JsonObject(line.trim()).getString("type"));
        // unknown members are ignored
        appendJson(s, "{\"type\":\"Extra\",\"data\":1,\"extra\":{\"ignored\":[1,2]}}");
        assertEquals("Extra", new JsonObject(given().get("/streams/{s}/1", s).asString()).getString("type"));
    }

    @Test
    void shouldReturnJsonDataAsTheSameValueDigitForDigit() {
        String s = unique("append-digits");
        String[] values = {
                "{ \"price\": 2.50, \"big\": 1e3, \"E\": 1E+3, \"neg\": -0.0, \"huge\": 123456789012345678901234567890.000,"
                        + " \"s\": \"a  b\\n\\\"q\\\" \\u00e9 é \\/\", \"arr\": [ 1 , 2.0 , [ ] , { } ], \"t\": true, \"n\": null }",
                "2.50",
                "1e3",
                "\"just a string with  spaces\"",
                "[ ]",
                "null",
                "false",
                "-12.340e-5"
        };
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            b.append(i == 0 ? "" : ",").append("{\"type\":\"V\",\n \"data\" :\t").append(values[i]).append(" }");
        }
        appendJson(s, b.append("]").toString());
        for (int i = 0; i < values.length; i++) {
            String text = given().get("/streams/{s}/{v}", s, i).then().statusCode(200).extract().asString();
            assertEquals(compact(values[i]), rawMember(text, "data"), "data of event " + i + " in " + text);
            new JsonObject(text); // and the whole answer is valid JSON
        }
        // NDJSON lines carry the same text
        String nd = given().accept("application/x-ndjson").get("/streams/{s}", s).then().statusCode(200).extract().asString();
        String[] lines = nd.split("\n");
        assertEquals(values.length, lines.length);
        for (int i = 0; i < values.length; i++) {
            assertEquals(compact(values[i]), rawMember(lines[i], "data"), "NDJSON data of event " + i);
        }
    }

    @Test
    void shouldAppendABinaryEventWithItsTypeInTheEventTypeHeader() {
        String s = unique("append-binary");
        byte[] data = new byte[300];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        UUID id = UUID.randomUUID();
        Response r = given().contentType("application/octet-stream").header("Event-Type", "Blob")
                .header("Event-Id", id.toString()).body(data).post("/streams/{s}", s);
        assertEquals(201, r.statusCode(), r.asString());
        assertEquals(0L, new JsonObject(r.asString()).getLong("firstVersion"));
        assertTrue(r.header("Location").endsWith("/streams/" + s + "/0"));

        JsonObject e = new JsonObject(given().get("/streams/{s}/0", s).then().statusCode(200).extract().asString());
        assertEquals("Blob", e.getString("type"));
        assertEquals(id.toString(), e.getString("id"));
        assertEquals("base64", e.getString("dataEncoding"));
        assertArrayEquals(data, Base64.getDecoder().decode(e.getString("data")));

        // without Event-Id the server assigns one
        Response r2 = given().contentType("application/octet-stream").header("Event-Type", "Blob").body(new byte[]{1, 2, 3})
                .post("/streams/{s}", s);
        assertEquals(201, r2.statusCode(), r2.asString());
        JsonObject e2 = new JsonObject(given().get("/streams/{s}/1", s).then().statusCode(200).extract().asString());
        assertNotEquals(id.toString(), e2.getString("id"));
        UUID.fromString(e2.getString("id"));
        assertArrayEquals(new byte[]{1, 2, 3}, Base64.getDecoder().decode(e2.getString("data")));
    }

    @Test
    void shouldHonourEveryFormOfExpectedVersion() {
        String s = unique("append-ev");
        String one = "{\"type\":\"E\",\"data\":{}}";
        // no-stream on a new stream
        given().contentType("application/json").header("Expected-Version", "no-stream").body(one)
                .post("/streams/{s}", s).then().statusCode(201);
        // exists on an existing stream
        given().contentType("application/json").header("Expected-Version", "exists").body(one)
                .post("/streams/{s}", s).then().statusCode(201);
        // the current version as a number
        Response r = given().contentType("application/json").header("Expected-Version", "1").body(one).post("/streams/{s}", s);
        assertEquals(201, r.statusCode(), r.asString());
        assertEquals(2L, new JsonObject(r.asString()).getLong("firstVersion"));
        // any
        given().contentType("application/json").header("Expected-Version", "any").body(one)
                .post("/streams/{s}", s).then().statusCode(201);
        // and a batch under a number
        r = given().contentType("application/json").header("Expected-Version", "3").body(ApiSupport.batch(2)).post("/streams/{s}", s);
        assertEquals(201, r.statusCode(), r.asString());
        assertEquals(5L, new JsonObject(r.asString()).getLong("lastVersion"));
    }

    @Test
    void shouldAnswer409WithTheCurrentVersionAndWriteNothing() {
        String s = unique("append-409");
        appendJson(s, ApiSupport.batch(3)); // versions 0..2
        String one = "{\"type\":\"E\",\"data\":{}}";
        long before = log.committedPosition();

        for (String expected : new String[]{"0", "1", "3", "no-stream"}) {
            Response r = given().contentType("application/json").header("Expected-Version", expected).body(one)
                    .post("/streams/{s}", s);
            JsonObject p = assertProblem(r, 409);
            assertEquals(2L, p.getLong("currentVersion"), () -> "currentVersion for Expected-Version " + expected + ": " + p);
        }
        // a batch too
        JsonObject pb = assertProblem(given().contentType("application/json").header("Expected-Version", "5")
                .body(ApiSupport.batch(2)).post("/streams/{s}", s), 409);
        assertEquals(2L, pb.getLong("currentVersion"));
        assertEquals(before, log.committedPosition(), "a conflict writes nothing");
        JsonObject page = new JsonObject(given().get("/streams/{s}", s).then().statusCode(200).extract().asString());
        assertEquals(3, page.getJsonArray("events").size());
    }

    @Test
    void shouldAnswer409WithANullCurrentVersionWhenTheStreamDoesNotExist() {
        String s = unique("append-409-none");
        long before = log.committedPosition();
        for (String expected : new String[]{"exists", "0", "7"}) {
            Response r = given().contentType("application/json").header("Expected-Version", expected)
                    .body("{\"type\":\"E\",\"data\":{}}").post("/streams/{s}", s);
            JsonObject p = assertProblem(r, 409);
            assertTrue(p.containsKey("currentVersion"), () -> "currentVersion is present (null): " + p);
            assertNull(p.getValue("currentVersion"), () -> "currentVersion is null: " + p);
        }
        // binary appends are guarded the same way
        JsonObject p = assertProblem(given().contentType("application/octet-stream").header("Event-Type", "B")
                .header("Expected-Version", "exists").body(new byte[]{1}).post("/streams/{s}", s), 409);
        assertTrue(p.containsKey("currentVersion"));
        assertNull(p.getValue("currentVersion"));
        assertEquals(before, log.committedPosition(), "a conflict writes nothing");
        assertProblem(given().get("/streams/{s}", s), 404);
    }

    @Test
    void shouldWaitForTheFlushWithDurabilityFsync() {
        String s = unique("append-fsync");
        Response r = given().contentType("application/json").header("Durability", "fsync")
                .body(ApiSupport.batch(2)).post("/streams/{s}", s);
        assertEquals(201, r.statusCode(), r.asString());
        JsonObject body = new JsonObject(r.asString());
        assertEquals("fsync", body.getString("durability"));
        assertTrue(log.flushedPosition() > body.getLong("position"), "the batch was flushed before the answer");

        Response binary = given().contentType("application/octet-stream").header("Event-Type", "B").header("Durability", "fsync")
                .body(new byte[]{9}).post("/streams/{s}", s);
        assertEquals(201, binary.statusCode(), binary.asString());
        assertEquals("fsync", new JsonObject(binary.asString()).getString("durability"));
        assertTrue(log.flushedPosition() > new JsonObject(binary.asString()).getLong("position"));

        Response async = given().contentType("application/json").header("Durability", "async")
                .body("{\"type\":\"A\",\"data\":0}").post("/streams/{s}", s);
        assertEquals(201, async.statusCode(), async.asString());
        assertEquals("async", new JsonObject(async.asString()).getString("durability"));
    }

    @Test
    void shouldAnswerARepeatedBatchWithTheOriginalResultAndWriteNothing() {
        String s = unique("append-repeat");
        appendJson(s, "{\"type\":\"Before\",\"data\":0}");
        String body = "[{\"id\":\"" + UUID.randomUUID() + "\",\"type\":\"A\",\"data\":{\"x\":1}},"
                + "{\"id\":\"" + UUID.randomUUID() + "\",\"type\":\"B\",\"data\":{\"x\":2},\"metadata\":{\"m\":1}}]";
        Response first = given().contentType("application/json").header("Expected-Version", "0").body(body).post("/streams/{s}", s);
        assertEquals(201, first.statusCode(), first.asString());
        appendJson(s, "{\"type\":\"After\",\"data\":0}"); // the stream moved on since
        long before = log.committedPosition();

        Response again = given().contentType("application/json").body(body).post("/streams/{s}", s);
        assertEquals(201, again.statusCode(), again.asString());
        assertEquals(new JsonObject(first.asString()), new JsonObject(again.asString()), "the original result");
        assertEquals(1L, new JsonObject(again.asString()).getLong("firstVersion"));
        assertEquals(first.header("Location"), again.header("Location"));
        assertEquals(before, log.committedPosition(), "a repeat writes nothing");

        // a client retry with the original's Expected-Version (now stale) still gets the original result, not a 409
        Response guarded = given().contentType("application/json").header("Expected-Version", "0").body(body).post("/streams/{s}", s);
        assertEquals(201, guarded.statusCode(), guarded.asString());
        assertEquals(new JsonObject(first.asString()), new JsonObject(guarded.asString()));
        assertEquals(before, log.committedPosition());
        assertEquals(4, new JsonObject(given().get("/streams/{s}", s).asString()).getJsonArray("events").size());

        // a single binary event repeated by Event-Id
        UUID id = UUID.randomUUID();
        Response b1 = given().contentType("application/octet-stream").header("Event-Type", "Bin").header("Event-Id", id.toString())
                .body("payload".getBytes(StandardCharsets.UTF_8)).post("/streams/{s}", s);
        assertEquals(201, b1.statusCode(), b1.asString());
        long afterBinary = log.committedPosition();
        Response b2 = given().contentType("application/octet-stream").header("Event-Type", "Bin").header("Event-Id", id.toString())
                .body("payload".getBytes(StandardCharsets.UTF_8)).post("/streams/{s}", s);
        assertEquals(201, b2.statusCode(), b2.asString());
        assertEquals(new JsonObject(b1.asString()), new JsonObject(b2.asString()));
        assertEquals(afterBinary, log.committedPosition());
    }

    @Test
    void shouldAnswerARepeatWithTheOriginalDurabilityNotAFlushThatNeverHappened() {
        // The original was acknowledged "async"; a repeat asking for fsync gets the original versions
        // and position, and its "fsync" is true: the server flushes before answering.
        String s = unique("append-repeat-fsync");
        String body = "{\"id\":\"" + UUID.randomUUID() + "\",\"type\":\"A\",\"data\":1}";
        Response first = appendJson(s, body);
        assertEquals("async", new JsonObject(first.asString()).getString("durability"));
        Response again = given().contentType("application/json").header("Durability", "fsync").body(body).post("/streams/{s}", s);
        assertEquals(201, again.statusCode(), again.asString());
        JsonObject a = new JsonObject(again.asString());
        assertEquals("fsync", a.getString("durability"));
        long flushed = log.flushedPosition();
        assertTrue(flushed > a.getLong("position"), () -> "an fsync answer promises the event was flushed: answer " + a
                + ", flushedPosition " + flushed);
        JsonObject original = new JsonObject(first.asString());
        original.put("durability", "fsync");
        assertEquals(original, a, "a repeat answers with the original versions and position");
    }

    @Test
    void shouldRefuseEventIdsReusedWithOtherContentWith409() {
        String s = unique("append-reuse");
        UUID id = UUID.randomUUID();
        appendJson(s, "{\"id\":\"" + id + "\",\"type\":\"A\",\"data\":1}");
        long before = log.committedPosition();
        assertProblem(given().contentType("application/json").body("{\"id\":\"" + id + "\",\"type\":\"A\",\"data\":2}")
                .post("/streams/{s}", s), 409);
        assertEquals(before, log.committedPosition());
    }
}
