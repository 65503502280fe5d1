package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bearer tokens from {@code strand.auth.tokens-file} over a real socket: with credentials configured
 * every caller needs a token, loopback included; each route checks the token's permissions against
 * the stream it names; EventSource's {@code access_token=}; the file is re-read when it changes;
 * health and metrics stay open.
 */
@QuarkusTest
@TestProfile(AuthApiTest.WithTokens.class)
class AuthApiTest {
    static final Path TOKENS = Path.of("target", "auth-test", "tokens");
    static final String EVERYTHING = "everything-token";
    static final Path JWT_KEY = Path.of("target", "auth-test", "jwt.pem");
    static final JwtSupport PROVIDER = new JwtSupport("k1");

    public static class WithTokens implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            write(TOKENS, "# name permissions secret\n"
                    + "reader read:auth-* reader-token\n"
                    + "writer write:auth-* writer-token\n"
                    + "everything read:* sha256:" + TokenFile.sha256(EVERYTHING) + "\n"
                    + "operator admin admin-token\n");
            write(JWT_KEY, PROVIDER.publicPem());
            return Map.of("strand.auth.tokens-file", TOKENS.toString(), "strand.cluster.secret", "peer-secret-123",
                    "strand.auth.jwt.public-key-location", JWT_KEY.toString(), "strand.auth.jwt.issuer", JwtSupport.ISSUER,
                    "strand.auth.jwt.audience", JwtSupport.AUDIENCE);
        }
    }

    static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @TestHTTPResource("/")
    URL base;

    private final String stream = "auth-" + UUID.randomUUID().toString().substring(0, 8);

    private static io.restassured.specification.RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    private Response append(String token) {
        return as(token).contentType("application/json").body("{\"type\":\"T\",\"data\":{}}").post("/streams/" + stream);
    }

    @Test
    void shouldRefuseCallersWithoutAValidTokenEvenOnLoopback() {
        Response none = given().get("/streams/" + stream);
        assertEquals(401, none.statusCode());
        assertEquals("application/problem+json", none.contentType());
        assertTrue(none.header("WWW-Authenticate").startsWith("Bearer"), none.header("WWW-Authenticate"));
        assertEquals("urn:strand:problem:unauthorized", none.jsonPath().getString("type"));
        Response bad = as("no-such-token").get("/streams/" + stream);
        assertEquals(401, bad.statusCode());
        assertTrue(bad.header("WWW-Authenticate").contains("invalid_token"));
        assertTrue(!bad.body().asString().contains("no-such-token"), "a token is never echoed");
        given().header("Authorization", "Basic YTpi").get("/all").then().statusCode(401);
        // an append refused for want of a token writes nothing
        given().contentType("application/json").body("{\"type\":\"T\",\"data\":{}}").post("/streams/" + stream).then().statusCode(401);
        as(EVERYTHING).get("/streams/" + stream).then().statusCode(404);
    }

    @Test
    void shouldCheckEachRouteAgainstTheTokensPermissions() {
        assertEquals(403, append("reader-token").statusCode(), "reading is not writing");
        Response created = append("writer-token");
        assertEquals(201, created.statusCode());
        Response forbidden = as("writer-token").get("/streams/" + stream);
        assertEquals(403, forbidden.statusCode(), "writing is not reading");
        assertEquals("urn:strand:problem:forbidden", forbidden.jsonPath().getString("type"));
        assertTrue(forbidden.header("WWW-Authenticate").contains("insufficient_scope"));
        as("reader-token").get("/streams/" + stream).then().statusCode(200).body("events.size()", equalTo(1));
        as("reader-token").get("/streams/" + stream + "/0").then().statusCode(200);
        as("reader-token").get("/all").then().statusCode(403); // read:auth-* is not the whole log
        as(EVERYTHING).get("/all?limit=1").then().statusCode(200); // read:*, given as sha256:
        as("reader-token").get("/log?from=0&maxBytes=4096").then().statusCode(403);
        as("admin-token").get("/log?from=0&maxBytes=4096").then().statusCode(200);
        as("peer-secret-123").get("/log?from=0&maxBytes=4096").then().statusCode(200); // strand.cluster.secret
        as("reader-token").get("/cluster").then().statusCode(403);
        as("writer-token").contentType("application/json").body("{\"version\":0}")
                .put("/groups/g1/streams/" + stream).then().statusCode(403);
        as("reader-token").contentType("application/json").body("{\"version\":0}")
                .put("/groups/g1/streams/" + stream).then().statusCode(204);
        List<String> names = as("reader-token").get("/streams?limit=1000").then().statusCode(200)
                .extract().jsonPath().getList("streams.name");
        assertTrue(names.contains(stream));
        assertTrue(names.stream().allMatch(n -> n.startsWith("auth-")), "only the streams the token may read: " + names);
        as("writer-token").get("/streams").then().statusCode(403);
    }

    @Test
    void shouldTakeTheTokenAsAccessTokenOnGetsForEventSource() throws Exception {
        assertEquals(201, append("writer-token").statusCode());
        given().get("/streams/" + stream + "?access_token=reader-token").then().statusCode(200);
        given().contentType("application/json").body("{\"type\":\"T\",\"data\":{}}")
                .post("/streams/" + stream + "?access_token=writer-token").then().statusCode(400)
                .body("parameter", equalTo("access_token"));
        as("reader-token").get("/streams/" + stream + "?access_token=reader-token").then().statusCode(400); // sent twice
        String url = base.toString().replaceAll("/$", "");
        try (SseClient denied = SseClient.open(url + "/streams/" + stream)) {
            assertEquals(401, denied.status, "checked before the stream starts");
        }
        try (SseClient c = SseClient.open(url + "/streams/" + stream + "?access_token=reader-token")) {
            assertEquals(200, c.status);
            assertEquals("0", c.take(1, 10).get(0).id());
        }
    }

    /** JWTs beside the tokens file: the key is read off the event loop at startup, so the first may wait a moment. */
    @Test
    void shouldTakeJwtsWithPermissionsFromTheirClaim() throws Exception {
        String writer = PROVIDER.token("ada", java.util.List.of("write:auth-*", "read:auth-*"));
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        do {
            status = append(writer).statusCode();
            if (status == 401) {
                Thread.sleep(100);
            }
        } while (status == 401 && System.nanoTime() < deadline);
        assertEquals(201, status, "a JWT with write:auth-* appends");
        as(writer).get("/streams/" + stream).then().statusCode(200);
        as(writer).get("/all").then().statusCode(403);
        String reader = PROVIDER.token("bob", "read:auth-*");
        assertEquals(403, append(reader).statusCode());
        Response expired = as(PROVIDER.token("ada", java.util.List.of("admin"), JwtSupport.ISSUER, JwtSupport.AUDIENCE, -120))
                .get("/streams/" + stream);
        assertEquals(401, expired.statusCode());
        assertTrue(expired.header("WWW-Authenticate").contains("invalid_token"));
        as(PROVIDER.token("ada", java.util.List.of("admin"), JwtSupport.ISSUER, "other", 600)).get("/log?from=0&maxBytes=8")
                .then().statusCode(401);
        String url = base.toString().replaceAll("/$", "");
        try (SseClient c = SseClient.open(url + "/streams/" + stream + "?access_token=" + reader)) {
            assertEquals(200, c.status, "a JWT as access_token, for EventSource");
            assertEquals("0", c.take(1, 10).get(0).id());
        }
    }

    @Test
    void shouldKeepHealthAndMetricsOpen() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
    }

    @Test
    void shouldPickUpAChangedTokensFileWithoutARestart() throws Exception {
        assertEquals(401, append("late-token").statusCode());
        String before = Files.readString(TOKENS);
        write(TOKENS, before + "late write:auth-* late-token\n");
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            int status;
            do {
                Thread.sleep(200);
                status = append("late-token").statusCode();
            } while (status == 401 && System.nanoTime() < deadline);
            assertEquals(201, status, "a token added to the file works within seconds");
        } finally {
            write(TOKENS, before);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        do {
            Thread.sleep(200);
            status = append("late-token").statusCode();
        } while (status != 401 && System.nanoTime() < deadline);
        assertEquals(401, status, "a token taken out of the file stops working");
    }
}
