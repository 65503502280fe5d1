package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;

import static io.restassured.RestAssured.given;
import static io.strand.http.ApiSupport.appendJson;
import static io.strand.http.ApiSupport.assertProblem;
import static io.strand.http.ApiSupport.batch;
import static io.strand.http.ApiSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code DELETE /streams/{s}} (soft and hard) and {@code PUT}/{@code GET /streams/{s}/metadata} over HTTP. */
@QuarkusTest
class LifecycleApiTest {
    @TestHTTPResource("/")
    URL base;

    private String url(String path) {
        return base.toString().replaceAll("/$", "") + path;
    }

    private static List<Integer> versions(String path) {
        return given().get(path).then().statusCode(200).extract().jsonPath().getList("events.version");
    }

    private static boolean listed(String stream) {
        return given().get("/streams?prefix=" + stream).then().statusCode(200).extract().jsonPath()
                .getList("streams.name").contains(stream);
    }

    @Test
    void softDeleteHidesTheStreamUntilItsNextAppendWhichContinuesItsVersions() throws Exception {
        String s = unique("soft");
        appendJson(s, batch(3));
        assertTrue(listed(s));
        given().delete("/streams/" + s).then().statusCode(204);

        JsonObject p = assertProblem(given().get("/streams/" + s), 404);
        assertEquals("urn:strand:problem:stream-deleted", p.getString("type"));
        assertEquals(s, p.getString("stream"));
        assertProblem(given().get("/streams/" + s + "/1"), 404);
        assertProblem(given().get("/streams/" + s + "?direction=backward"), 404);
        try (SseClient c = SseClient.open(url("/streams/" + s))) {
            assertEquals(404, c.status);
        }
        assertFalse(listed(s), "a deleted stream leaves the list");
        given().delete("/streams/" + s).then().statusCode(204); // again: nothing changes

        // no-stream: the deleted stream counts as none; the next append continues at version 3
        JsonPath appended = given().contentType("application/json").header("Expected-Version", "no-stream")
                .body("{\"type\":\"After\",\"data\":{}}").post("/streams/" + s).then().statusCode(201).extract().jsonPath();
        assertEquals(3, appended.getInt("firstVersion"));
        assertEquals(List.of(3), versions("/streams/" + s));
        assertEquals(List.of(3), versions("/streams/" + s + "?direction=backward"));
        assertEquals(List.of(3), versions("/streams/" + s + "?from=0"), "a read from below starts at the first visible event");
        assertProblem(given().get("/streams/" + s + "/2"), 404);
        given().get("/streams/" + s + "/3").then().statusCode(200);
        assertTrue(listed(s));
        try (SseClient c = SseClient.open(url("/streams/" + s))) {
            assertEquals("3", c.take(1, 10).get(0).id());
        }
        assertEquals(3, given().get("/streams/" + s + "/metadata").then().statusCode(200).extract().jsonPath()
                .getInt("firstVisibleVersion"));
    }

    @Test
    void deleteIsGuardedByExpectedVersionAndNeedsAStream() {
        String s = unique("guard");
        assertProblem(given().delete("/streams/" + s), 404);
        appendJson(s, batch(2));
        JsonObject p = assertProblem(given().header("Expected-Version", "0").delete("/streams/" + s), 409);
        assertEquals(1, p.getInteger("currentVersion"));
        assertEquals(List.of(0, 1), versions("/streams/" + s), "a refused delete changes nothing");
        given().header("Expected-Version", "1").delete("/streams/" + s).then().statusCode(204);
        assertProblem(given().get("/streams/" + s), 404);
        assertProblem(given().delete("/streams/" + s + "?hard=maybe"), 400);
        assertProblem(given().delete("/streams/" + s + "?force=true"), 400);
        assertProblem(given().delete("/streams/bad%20name"), 400);
    }

    @Test
    void aTombstoneRefusesReadsAppendsAndChangesForEver() throws Exception {
        String s = unique("hard");
        appendJson(s, batch(2));
        given().delete("/streams/" + s + "?hard=true").then().statusCode(204);
        JsonObject p = assertProblem(given().get("/streams/" + s), 410);
        assertEquals("urn:strand:problem:stream-tombstoned", p.getString("type"));
        assertProblem(given().get("/streams/" + s + "/0"), 410);
        assertProblem(given().contentType("application/json").body("{\"type\":\"X\",\"data\":{}}").post("/streams/" + s), 410);
        assertProblem(given().contentType("application/json").header("Expected-Version", "no-stream")
                .body("{\"type\":\"X\",\"data\":{}}").post("/streams/" + s), 410);
        assertProblem(given().delete("/streams/" + s), 410);
        assertProblem(given().delete("/streams/" + s + "?hard=true"), 410);
        assertProblem(given().contentType("application/json").body("{\"maxCount\":1}").put("/streams/" + s + "/metadata"), 410);
        assertProblem(given().get("/streams/" + s + "/metadata"), 410);
        try (SseClient c = SseClient.open(url("/streams/" + s))) {
            assertEquals(410, c.status);
        }
        assertFalse(listed(s));
        // a name never used can be tombstoned too: it is reserved
        String never = unique("never");
        given().delete("/streams/" + never + "?hard=true").then().statusCode(204);
        assertProblem(given().contentType("application/json").body("{\"type\":\"X\",\"data\":{}}").post("/streams/" + never), 410);
    }

    @Test
    void metadataHidesWhatItExcludesAndIsReadBack() throws Exception {
        String s = unique("meta");
        appendJson(s, batch(10));
        given().contentType("application/json").body("{\"maxCount\":3,\"custom\":{\"owner\":\"billing\",\"n\":[1,2]}}")
                .put("/streams/" + s + "/metadata").then().statusCode(204);
        JsonPath m = given().get("/streams/" + s + "/metadata").then().statusCode(200).contentType("application/json")
                .extract().jsonPath();
        assertEquals(3, m.getInt("maxCount"));
        assertEquals("billing", m.getString("custom.owner"));
        assertEquals(7, m.getInt("firstVisibleVersion"));
        assertEquals(9, m.getInt("lastVersion"));
        assertNull(m.get("maxAge"));
        assertEquals(List.of(7, 8, 9), versions("/streams/" + s));
        assertEquals(List.of(9, 8, 7), versions("/streams/" + s + "?direction=backward"));
        assertEquals(List.of(7, 8), versions("/streams/" + s + "?from=2&limit=2"));
        assertProblem(given().get("/streams/" + s + "/6"), 404);
        appendJson(s, "{\"type\":\"T\",\"data\":{}}");
        assertEquals(List.of(8, 9, 10), versions("/streams/" + s), "maxCount keeps the newest");
        try (SseClient c = SseClient.open(url("/streams/" + s + "?from=0"))) {
            assertEquals(List.of("8", "9", "10"), c.take(3, 10).stream().map(SseClient.Frame::id).toList());
        }

        // PUT replaces: truncateBefore alone
        given().contentType("application/json").body("{\"truncateBefore\":5}").put("/streams/" + s + "/metadata")
                .then().statusCode(204);
        assertEquals(5, versions("/streams/" + s).get(0));
        m = given().get("/streams/" + s + "/metadata").then().statusCode(200).extract().jsonPath();
        assertNull(m.get("maxCount"));
        assertNull(m.get("custom"));
        assertEquals(5, m.getInt("truncateBefore"));

        // maxAge: events older than it are hidden
        Thread.sleep(1100);
        appendJson(s, "{\"type\":\"Fresh\",\"data\":{}}");
        given().contentType("application/json").body("{\"maxAge\":1}").put("/streams/" + s + "/metadata").then().statusCode(204);
        assertEquals(List.of(11), versions("/streams/" + s));

        // bad settings: 400 and nothing changes
        for (String bad : List.of("{\"maxCount\":0}", "{\"maxAge\":-1}", "{\"truncateBefore\":-2}", "{\"maxCount\":1.5}",
                "{\"custom\":[1]}", "{\"other\":1}", "[]", "{")) {
            assertProblem(given().contentType("application/json").body(bad).put("/streams/" + s + "/metadata"), 400);
        }
        assertProblem(given().contentType("text/plain").body("{}").put("/streams/" + s + "/metadata"), 415);
        assertEquals(1, given().get("/streams/" + s + "/metadata").then().statusCode(200).extract().jsonPath().getInt("maxAge"));
        assertProblem(given().get("/streams/" + unique("none") + "/metadata"), 404);
        given().post("/streams/" + s + "/metadata").then().statusCode(405).header("Allow", "GET, HEAD, PUT");
        given().put("/streams/" + s).then().statusCode(405).header("Allow", "GET, HEAD, POST, DELETE");
    }

    @Test
    void metadataMaySetBeforeTheStreamExists() {
        String s = unique("early");
        given().contentType("application/json").body("{\"maxCount\":2}").put("/streams/" + s + "/metadata").then().statusCode(204);
        JsonPath m = given().get("/streams/" + s + "/metadata").then().statusCode(200).extract().jsonPath();
        assertEquals(2, m.getInt("maxCount"));
        assertNull(m.get("firstVisibleVersion"));
        appendJson(s, batch(5));
        assertEquals(List.of(3, 4), versions("/streams/" + s));
    }
}
