package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strand.log.CommitLog;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.restassured.RestAssured.given;
import static io.strand.http.ApiSupport.appendJson;
import static io.strand.http.ApiSupport.assertProblem;
import static io.strand.http.ApiSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /streams/{stream}} refusals: 400 for malformed JSON, a missing type, a bad UUID, a bad
 * stream name or a bad header; 413 for an event over {@code strand.max-event-size} (1M, the default);
 * 415 for other media types. Every refusal is a problem and leaves the log's committed position and
 * the stream untouched.
 */
@QuarkusTest
class AppendErrorsApiTest {
    static final int MAX_EVENT_SIZE = 1 << 20;

    @Inject
    CommitLog log;

    @TestHTTPResource("/")
    URL base;

    private Response postJson(String stream, String body) {
        return given().contentType("application/json").body(body).when().post("/streams/{s}", stream);
    }

    @Test
    void shouldRefuseMalformedJsonWith400AndWriteNothing() {
        String s = unique("err-json");
        long before = log.committedPosition();
        String[] bodies = {
                "",
                "{",
                "{\"type\":\"A\",\"data\":}",
                "{\"type\":\"A\",\"data\":{\"x\":1}",
                "{\"type\":\"A\",\"data\":1} trailing",
                "{\"type\":\"A\",\"data\":1}{\"type\":\"B\",\"data\":2}",
                "[{\"type\":\"A\",\"data\":1},]",
                "not json",
                "\"a string\"",
                "42",
                "[]",
                "[1]",
                "[{\"type\":\"A\",\"data\":1}, \"x\"]",
                "{\"type\":\"A\",\"data\":[1,2}",
                "{type:\"A\",\"data\":1}",
        };
        for (String body : bodies) {
            JsonObject p = assertProblem(postJson(s, body), 400);
            assertTrue(p.getString("detail").length() > 0, body);
        }
        assertEquals(before, log.committedPosition(), "bad input writes nothing");
        assertProblem(given().get("/streams/{s}", s), 404);
    }

    @Test
    void shouldRefuseEventsWithoutAValidTypeOrDataOrWithBadMembersWith400() {
        String s = unique("err-type");
        appendJson(s, "{\"type\":\"Exists\",\"data\":0}");
        long before = log.committedPosition();
        String[] bodies = {
                "{\"data\":{\"x\":1}}",
                "{\"type\":null,\"data\":1}",
                "{\"type\":3,\"data\":1}",
                "{\"type\":\"\",\"data\":1}",
                "{\"type\":{\"a\":1},\"data\":1}",
                "{\"type\":\"A\"}",
                "{\"type\":\"A\",\"data\":1,\"metadata\":[1]}",
                "{\"type\":\"A\",\"data\":1,\"metadata\":\"m\"}",
                // one bad event makes the whole batch fail: the first (valid) event is not written either
                "[{\"type\":\"Good\",\"data\":1},{\"data\":2}]",
                "[{\"type\":\"Good\",\"data\":1},{\"type\":\"Bad\",\"data\":2,\"id\":\"nope\"}]",
        };
        for (String body : bodies) {
            assertProblem(postJson(s, body), 400);
        }
        assertEquals(before, log.committedPosition(), "bad input writes nothing");
        assertEquals(1, new JsonObject(given().get("/streams/{s}", s).asString()).getJsonArray("events").size());
    }

    @Test
    void shouldRefuseBadUuidsWith400() {
        String s = unique("err-uuid");
        long before = log.committedPosition();
        String[] ids = {"\"not-a-uuid\"", "\"\"", "\"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz\"", "\"1-2-3-4-5\"",
                "\"0f8fad5b-d9cb-469f-a165-70867728950\"", "\"0f8fad5b-d9cb-469f-a165-70867728950e0\"", "42", "true",
                "{\"uuid\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}"};
        for (String id : ids) {
            assertProblem(postJson(s, "{\"id\":" + id + ",\"type\":\"A\",\"data\":1}"), 400);
        }
        assertProblem(given().contentType("application/octet-stream").header("Event-Type", "B").header("Event-Id", "not-a-uuid")
                .body(new byte[]{1}).post("/streams/{s}", s), 400);
        // the same id twice in one batch is not a valid batch either
        String dup = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assertProblem(postJson(s, "[{\"id\":\"" + dup + "\",\"type\":\"A\",\"data\":1},{\"id\":\"" + dup + "\",\"type\":\"A\",\"data\":2}]"), 400);
        assertEquals(before, log.committedPosition());
        assertProblem(given().get("/streams/{s}", s), 404);
    }

    @Test
    void shouldRefuseBadStreamNamesWith400() throws Exception {
        long before = log.committedPosition();
        String event = "{\"type\":\"A\",\"data\":1}";
        String[] names = {"a b", "$x", "$all", "x".repeat(201), "a\u00e9b", "a+b", "a%b", "a#b", "a?b", "a*b", "a\"b", "a,b"};
        for (String name : names) {
            Response r = postJson(name, event);
            assertProblem(r, 400);
            // the read endpoints validate the name the same way
            assertProblem(given().get("/streams/{s}", name), 400);
            assertProblem(given().get("/streams/{s}/0", name), 400);
        }
        // names sent percent-encoded exactly as written here, including an encoded slash and a NUL
        for (String encoded : new String[]{"a%2Fb", "%24x", "a%20b", "a%00b", "%2E%2E%2Fx"}) {
            HttpResponse<String> r = rawPost("streams/" + encoded, "application/json", event);
            assertEquals(400, r.statusCode(), () -> encoded + ": " + r.statusCode() + " " + r.headers().map() + " " + r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"), encoded);
        }
        assertEquals(before, log.committedPosition());
        // the longest valid name and every allowed character
        String longest = unique("n") + "-";
        longest = longest + "y".repeat(200 - longest.length());
        assertEquals(200, longest.length());
        appendJson(longest, event);
        String chars = unique("Az09-_.:@");
        Response r = appendJson(chars, event);
        assertTrue(r.header("Location").endsWith("/streams/" + chars + "/0"), r.header("Location"));
        given().get("/streams/{s}/0", chars).then().statusCode(200);
    }

    @Test
    void shouldRefuseBadHeadersWith400() {
        String s = unique("err-headers");
        long before = log.committedPosition();
        String event = "{\"type\":\"A\",\"data\":1}";
        for (String ev : new String[]{"abc", "-1", "-2", "1.5", "", "ANY-thing", "99999999999999999999"}) {
            assertProblem(given().contentType("application/json").header("Expected-Version", ev).body(event)
                    .post("/streams/{s}", s), 400);
        }
        for (String d : new String[]{"sometimes", "1", "fsync2"}) {
            assertProblem(given().contentType("application/json").header("Durability", d).body(event)
                    .post("/streams/{s}", s), 400);
        }
        // a binary event needs a (valid) Event-Type
        assertProblem(given().contentType("application/octet-stream").body(new byte[]{1}).post("/streams/{s}", s), 400);
        assertProblem(given().contentType("application/octet-stream").header("Event-Type", "").body(new byte[]{1})
                .post("/streams/{s}", s), 400);
        assertEquals(before, log.committedPosition());
        assertProblem(given().get("/streams/{s}", s), 404);
    }

    @Test
    void shouldRefuseAnEventOverTheMaxEventSizeWith413() {
        String s = unique("err-413");
        appendJson(s, "{\"type\":\"Small\",\"data\":0}");
        long before = log.committedPosition();
        // JSON: data (with its quotes) over 1 MiB
        String big = "{\"type\":\"Big\",\"data\":\"" + "x".repeat(MAX_EVENT_SIZE) + "\"}";
        assertProblem(postJson(s, big), 413);
        // data and metadata together over 1 MiB
        String half = "y".repeat(MAX_EVENT_SIZE / 2);
        assertProblem(postJson(s, "{\"type\":\"Big\",\"data\":\"" + half + "\",\"metadata\":{\"m\":\"" + half + "\"}}"), 413);
        // one big event in a batch fails the batch
        assertProblem(postJson(s, "[{\"type\":\"Small\",\"data\":1}," + big + "]"), 413);
        // binary: one byte over
        assertProblem(given().contentType("application/octet-stream").header("Event-Type", "Big")
                .body(new byte[MAX_EVENT_SIZE + 1]).post("/streams/{s}", s), 413);
        assertEquals(before, log.committedPosition(), "a refused event writes nothing");
        assertEquals(1, new JsonObject(given().get("/streams/{s}", s).asString()).getJsonArray("events").size());

        // exactly the limit is accepted
        byte[] exact = new byte[MAX_EVENT_SIZE];
        Arrays.fill(exact, (byte) 7);
        given().contentType("application/octet-stream").header("Event-Type", "Exact").body(exact)
                .post("/streams/{s}", s).then().statusCode(201);
        byte[] back = given().accept("application/octet-stream").get("/streams/{s}/1", s).then().statusCode(200)
                .extract().asByteArray();
        assertTrue(Arrays.equals(exact, back));
    }

    @Test
    void shouldRefuseABatchTooLargeForOneAppendWith413() {
        // Each event is under strand.max-event-size and the body under strand.http.max-body-size (4M), but
        // together they are over what one atomic append can carry (the test profile's 2M pool buffer).
        String s = unique("err-413-batch");
        long before = log.committedPosition();
        String ev = "{\"type\":\"Big\",\"data\":\"" + "z".repeat(800_000) + "\"}";
        Response r = postJson(s, "[" + ev + "," + ev + "," + ev + "]");
        assertProblem(r, 413);
        assertEquals(before, log.committedPosition());
    }

    /** A POST over the JDK client, which sends exactly the Content-Type given (or none). */
    private HttpResponse<String> rawPost(String path, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertProblem415(HttpResponse<String> r) {
        assertEquals(415, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
                () -> "Content-Type " + r.headers().firstValue("Content-Type"));
        JsonObject p = new JsonObject(r.body());
        assertEquals(415, p.getInteger("status"));
        assertTrue(p.getString("type").startsWith(ApiSupport.PROBLEM_TYPE_PREFIX));
        assertTrue(!p.getString("title").isBlank() && !p.getString("detail").isBlank());
    }

    @Test
    void shouldRefuseOtherContentTypesWith415() throws Exception {
        String s = unique("err-415");
        long before = log.committedPosition();
        String event = "{\"type\":\"A\",\"data\":1}";
        for (String ct : new String[]{"text/plain", "application/xml", "application/x-www-form-urlencoded",
                "application/x-ndjson", "application/problem+json", "text/json", "application/jsonx", "multipart/form-data"}) {
            assertProblem415(rawPost("streams/" + s, ct, event));
        }
        assertProblem415(rawPost("streams/" + s, null, event)); // no Content-Type at all
        assertEquals(before, log.committedPosition());
        assertProblem(given().get("/streams/{s}", s), 404);

        // parameters and case do not matter for the supported types
        given().contentType("Application/JSON; charset=UTF-8").body(event).post("/streams/{s}", s).then().statusCode(201);
    }

    @Test
    void shouldRefuseJsonThatIsNotUtf8AndWriteNothing() throws Exception {
        String s = unique("err-utf16");
        long before = log.committedPosition();
        String event = "{\"type\":\"A\",\"data\":{\"k\":\"v\"}}";
        for (java.nio.charset.Charset cs : new java.nio.charset.Charset[]{StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE,
                StandardCharsets.UTF_16, java.nio.charset.Charset.forName("UTF-32")}) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + "streams/" + s))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(event.getBytes(cs))).build();
            HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode(), cs + ": " + r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
        }
        // a charset other than UTF-8 is an unsupported media type, whatever the bytes are
        assertProblem415(rawPost("streams/" + s, "application/json; charset=utf-16le", event));
        assertProblem415(rawPost("streams/" + s, "application/json; charset=ISO-8859-1", event));
        assertEquals(before, log.committedPosition(), "bad input writes nothing");
        assertProblem(given().get("/streams/{s}", s), 404);
        given().contentType("application/json; charset=\"utf-8\"").body(event).post("/streams/{s}", s).then().statusCode(201);
    }
}
