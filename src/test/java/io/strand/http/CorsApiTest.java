package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CORS over a real socket, as a browser speaks it: the test profile allows
 * {@code http://allowed.example:3000} (application.properties).
 */
@QuarkusTest
class CorsApiTest {
    private static final String ALLOWED = "http://allowed.example:3000";
    private static final String OTHER = "http://evil.example";

    @TestHTTPResource("/")
    URL base;

    private final String stream = "cors-" + UUID.randomUUID().toString().substring(0, 8);

    private static Set<String> list(Response r, String header) {
        String v = r.header(header);
        return v == null ? Set.of() : Arrays.stream(v.split(",")).map(String::trim).map(String::toLowerCase).collect(Collectors.toSet());
    }

    @Test
    void shouldAnswerThePreflightOfAnAllowedOrigin() {
        Response r = given().header("Origin", ALLOWED).header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type, expected-version, authorization")
                .options("/streams/" + stream);
        assertEquals(204, r.statusCode());
        assertEquals(ALLOWED, r.header("Access-Control-Allow-Origin"));
        assertTrue(list(r, "Access-Control-Allow-Methods").containsAll(Set.of("get", "post", "put", "delete")));
        assertTrue(list(r, "Access-Control-Allow-Headers").containsAll(Set.of("content-type", "expected-version", "authorization",
                "last-event-id")), r.header("Access-Control-Allow-Headers"));
        assertTrue(list(r, "Vary").contains("origin"));
    }

    @Test
    void shouldLetAnAllowedPageAppendAndReadTheHeadersItNeeds() {
        Response r = given().header("Origin", ALLOWED).contentType("application/json").body("{\"type\":\"T\",\"data\":{}}")
                .post("/streams/" + stream);
        assertEquals(201, r.statusCode());
        assertEquals(ALLOWED, r.header("Access-Control-Allow-Origin"));
        assertTrue(list(r, "Access-Control-Expose-Headers").containsAll(Set.of("location", "strand-next", "retry-after",
                "content-length")), r.header("Access-Control-Expose-Headers"));
        Response page = given().header("Origin", ALLOWED).get("/streams/" + stream + "?limit=1");
        assertEquals(200, page.statusCode());
        assertEquals(ALLOWED, page.header("Access-Control-Allow-Origin"));
        // Quarkus's own routes get it too (a console page on another origin reads health)
        assertEquals(ALLOWED, given().header("Origin", ALLOWED).get("/q/health/live").header("Access-Control-Allow-Origin"));
    }

    @Test
    void shouldRefuseAnotherOriginBeforeAnythingRuns() {
        given().header("Origin", OTHER).header("Access-Control-Request-Method", "POST").options("/streams/" + stream)
                .then().statusCode(403).contentType("application/problem+json")
                .body("type", org.hamcrest.Matchers.equalTo("urn:strand:problem:origin-not-allowed"));
        // a simple request (no preflight: a form post, an EventSource) is refused too, and writes nothing
        Response r = given().header("Origin", OTHER).contentType("application/json").body("{\"type\":\"T\",\"data\":{}}")
                .post("/streams/" + stream);
        assertEquals(403, r.statusCode());
        assertNull(r.header("Access-Control-Allow-Origin"));
        given().get("/streams/" + stream).then().statusCode(404);
        given().header("Origin", OTHER).header("Accept", "text/event-stream").get("/all?from=end").then().statusCode(403);
    }

    @Test
    void shouldLeaveSameOriginAndOriginlessRequestsAlone() {
        String self = base.getProtocol() + "://" + base.getHost() + ":" + base.getPort();
        Response r = given().header("Origin", self).contentType("application/json").body("{\"type\":\"T\",\"data\":{}}")
                .post("/streams/" + stream);
        assertEquals(201, r.statusCode(), r.body().asString());
        assertNull(r.header("Access-Control-Allow-Origin"), "same origin needs no CORS headers");
        Response plain = given().get("/streams/" + stream);
        assertEquals(200, plain.statusCode());
        assertNull(plain.header("Access-Control-Allow-Origin"));
    }
}
