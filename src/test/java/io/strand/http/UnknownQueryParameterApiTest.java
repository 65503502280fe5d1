package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static io.restassured.RestAssured.given;
import static io.strand.http.ApiSupport.appendJson;
import static io.strand.http.ApiSupport.assertProblem;
import static io.strand.http.ApiSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every route answers a query parameter it does not take with a 400 problem naming it, instead of
 * ignoring it ({@code /all?category=X} is not a filter, so it must not look like one), and a refused
 * request changes nothing. The parameters each route does take still work.
 */
@QuarkusTest
class UnknownQueryParameterApiTest {
    private static final String EVENT = "{\"type\":\"Refused\",\"data\":{\"n\":1}}";

    /** Asserts the 400 problem names {@code parameter}. */
    private static JsonObject assertRefused(Response r, String parameter) {
        JsonObject p = assertProblem(r, 400);
        assertEquals("urn:strand:problem:bad-request", p.getString("type"), p.encode());
        assertEquals(parameter, p.getString("parameter"), p.encode());
        assertTrue(p.getString("detail").contains("unknown query parameter " + parameter), p.encode());
        return p;
    }

    @Test
    void shouldRefuseAnUnknownParameterOnEveryRoute() {
        String s = unique("uq");
        appendJson(s, EVENT);
        given().contentType("application/json").body("{\"version\":0}").put("/groups/{g}/streams/{s}", "uq-g", s)
                .then().statusCode(204);

        assertRefused(given().get("/all?category=OrderPlaced"), "category");
        assertRefused(given().get("/all?from=0&stream=order-"), "stream");
        assertRefused(given().accept("text/event-stream").get("/all?category=OrderPlaced"), "category");
        assertRefused(given().get("/streams?name=a"), "name");
        assertRefused(given().get("/streams/{s}?from=0&limt=5", s), "limt");
        assertRefused(given().accept("text/event-stream").get("/streams/{s}?lastEventId=3", s), "lastEventId");
        assertRefused(given().get("/streams/{s}/0?pretty=true", s), "pretty");
        assertRefused(given().get("/groups/{g}/streams/{s}?x=1", "uq-g", s), "x");
        assertRefused(given().get("/log?from=0&max=10"), "max");
        // a parameter without a value is a parameter too
        assertRefused(given().get("/streams/{s}?backward", s), "backward");
        // access_token (RFC 6750 2.3) is a parameter of every GET (AuthApiTest), of no POST
        assertRefused(post(s, "?access_token=abc", r -> r.contentType("application/json").body("{\"type\":\"T\",\"data\":{}}")),
                "access_token");

        JsonObject listed = assertRefused(given().get("/streams?from=0&limit=5&sort=name"), "sort");
        assertTrue(listed.getString("detail").contains("takes only from, limit"), listed.encode());
        JsonObject gated = assertRefused(given().get("/streams/{s}/0?v=1", s), "v");
        assertTrue(gated.getString("detail").contains("takes only minPosition, consistency"), gated.encode());
        JsonObject none = assertRefused(given().get("/cluster?v=1"), "v");
        assertTrue(none.getString("detail").contains("takes no query parameters"), none.encode());

        Response head = given().head("/all?category=X");
        assertEquals(400, head.statusCode());
        assertEquals("", head.asString(), "HEAD has no body");
    }

    @Test
    void shouldStillTakeEachRoutesOwnParameters() {
        String s = unique("uq-ok");
        long position = new JsonObject(appendJson(s, ApiSupport.batch(3)).asString()).getLong("position");

        assertEquals(200, given().get("/all?from=" + position + "&limit=1").statusCode());
        assertEquals(200, given().get("/streams?from=0&limit=1").statusCode());
        JsonArray backward = new JsonObject(given().get("/streams/{s}?from=2&limit=2&direction=backward", s).asString())
                .getJsonArray("events");
        assertEquals(2L, backward.getJsonObject(0).getLong("version"));
        assertEquals(200, given().get("/streams/{s}/1", s).statusCode());
        assertEquals(200, given().get("/log?from=" + position + "&maxBytes=1&via=mmap").statusCode());
        assertEquals(404, given().get("/groups/{g}/streams/{s}", "uq-none", s).statusCode());
    }

    @Test
    void shouldWriteNothingWhenAnAppendIsRefused() {
        String s = unique("uq-append");
        long position = new JsonObject(appendJson(s, EVENT).asString()).getLong("position");

        // what a user may guess from other stores: the expected version or durability as query parameters
        assertRefused(post(s, "?expectedVersion=0", r -> r.contentType("application/json").body(EVENT)), "expectedVersion");
        assertRefused(post(s, "?durability=fsync", r -> r.contentType("application/json").body("[" + EVENT + "," + EVENT + "]")),
                "durability");
        assertRefused(post(s, "?type=Blob", r -> r.contentType("application/octet-stream").body(new byte[]{1, 2, 3})), "type");
        String fresh = unique("uq-fresh");
        assertRefused(post(fresh, "?id=3f1c2a7e-8d4b-4f7a-9c1e-2b5d6a7f8e90", r -> r.contentType("application/json").body(EVENT)), "id");
        assertRefused(given().contentType("application/json").body("{\"version\":0}")
                .put("/groups/{g}/streams/{s}?force=true", "uq-refused", s), "force");

        // the stream still holds its one event, the fresh stream does not exist, the group has no commit
        JsonObject page = new JsonObject(given().get("/streams/{s}", s).asString());
        assertEquals(1, page.getJsonArray("events").size(), page.encode());
        assertProblem(given().get("/streams/{s}", fresh), 404);
        assertProblem(given().get("/groups/{g}/streams/{s}", "uq-refused", s), 404);
        // and the log has nothing after the event: the next append lands right behind it
        JsonArray tail = new JsonObject(given().get("/all?from=" + position).asString()).getJsonArray("events");
        assertEquals(1, tail.size(), tail.encode());
        JsonObject next = new JsonObject(appendJson(s, EVENT).asString());
        assertEquals(1L, next.getLong("firstVersion"));
    }

    private static Response post(String stream, String query, Function<RequestSpecification, RequestSpecification> body) {
        return body.apply(given()).post("/streams/" + stream + query);
    }
}
