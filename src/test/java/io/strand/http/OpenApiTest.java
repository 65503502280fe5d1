package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document at {@code /q/openapi} (a static file: the routes are plain Vert.x routes no
 * scanner can see) documents every route of {@link HttpRoutes}, its headers, and its problems.
 */
@QuarkusTest
class OpenApiTest {
    private static final String PROBLEM = "application/problem+json";

    private JsonObject doc;

    @BeforeEach
    void fetch() {
        String body = given().queryParam("format", "json")
                .when().get("/q/openapi")
                .then().statusCode(200)
                .extract().asString();
        doc = new JsonObject(body);
    }

    @Test
    void shouldDescribeTheApplication() {
        assertTrue(doc.getString("openapi").startsWith("3."), doc.getString("openapi"));
        JsonObject info = doc.getJsonObject("info");
        assertEquals("Strand", info.getString("title"));
        assertNotNull(info.getString("version"));
        assertTrue(info.getString("description", "").contains("problem"), "the description explains the conventions");
    }

    @Test
    void shouldDocumentEveryRouteOfHttpRoutes() {
        Map<String, Set<String>> expected = Map.of(
                "/streams/{stream}", Set.of("post", "get"),
                "/streams", Set.of("get"),
                "/streams/{stream}/{version}", Set.of("get"),
                "/all", Set.of("get"),
                "/groups/{group}/streams/{stream}", Set.of("put", "get"),
                "/log", Set.of("get"));
        JsonObject paths = doc.getJsonObject("paths");
        expected.forEach((path, methods) -> {
            JsonObject item = paths.getJsonObject(path);
            assertNotNull(item, "path " + path + " is documented");
            for (String method : methods) {
                JsonObject op = item.getJsonObject(method);
                assertNotNull(op, method.toUpperCase() + " " + path + " is documented");
                assertNotNull(op.getString("operationId"), method + " " + path + " has an operationId");
                assertTrue(op.getJsonObject("responses").fieldNames().stream().anyMatch(s -> s.startsWith("2")),
                        method + " " + path + " documents its success");
            }
            Set<String> documented = new TreeSet<>(item.fieldNames());
            documented.removeAll(Set.of("parameters", "summary", "description"));
            assertEquals(new TreeSet<>(methods), documented, "no method documented that " + path + " does not serve");
        });
        for (String path : paths.fieldNames()) {
            assertTrue(expected.containsKey(path), "only routes that exist are documented: " + path);
        }
    }

    @Test
    void shouldDocumentTheProblemResponsesWhereTheyApply() {
        statuses("post", "/streams/{stream}", "201", "400", "409", "413", "415", "503", "507");
        statuses("get", "/streams/{stream}", "200", "400", "404", "410", "503");
        statuses("get", "/streams", "200", "400", "503");
        statuses("get", "/streams/{stream}/{version}", "200", "400", "404", "410", "503");
        statuses("get", "/all", "200", "400", "410", "503");
        statuses("put", "/groups/{group}/streams/{stream}", "204", "400", "413", "415", "503", "507");
        statuses("get", "/groups/{group}/streams/{stream}", "200", "400", "404", "503");
        statuses("get", "/log", "200", "400", "410", "503");

        for (String[] op : operations()) {
            JsonObject responses = op(op[0], op[1]).getJsonObject("responses");
            for (String status : responses.fieldNames()) {
                if (status.startsWith("4") || status.startsWith("5")) {
                    JsonObject response = resolve(responses.getJsonObject(status));
                    JsonObject content = response.getJsonObject("content");
                    assertNotNull(content.getJsonObject(PROBLEM), op[0] + " " + op[1] + " " + status + " is a problem");
                    assertEquals(Set.of(PROBLEM), content.fieldNames(), op[0] + " " + op[1] + " " + status + " is only a problem");
                    if (status.equals("503")) {
                        assertNotNull(response.getJsonObject("headers").getJsonObject("Retry-After"),
                                op[0] + " " + op[1] + " 503 carries Retry-After");
                    }
                }
            }
        }
    }

    @Test
    void shouldDescribeTheProblemSchema() {
        JsonObject problem = schema("Problem");
        assertEquals("object", problem.getValue("type"));
        JsonObject properties = problem.getJsonObject("properties");
        for (String member : List.of("type", "title", "status", "detail")) {
            assertNotNull(properties.getJsonObject(member), "problem member " + member);
            assertTrue(problem.getJsonArray("required").contains(member), member + " is required");
        }
        assertEquals("integer", properties.getJsonObject("status").getValue("type"));

        // 409 on an append: the version conflict carries currentVersion (null when the stream does not exist)
        JsonObject conflict = resolve(op("post", "/streams/{stream}").getJsonObject("responses").getJsonObject("409"));
        String schemas = conflict.getJsonObject("content").getJsonObject(PROBLEM).encode();
        assertTrue(schemas.contains("VersionConflictProblem"), schemas);
        JsonObject currentVersion = null;
        JsonArray allOf = schema("VersionConflictProblem").getJsonArray("allOf");
        for (int i = 0; i < allOf.size(); i++) {
            JsonObject p = resolve(allOf.getJsonObject(i));
            if (p.containsKey("properties") && p.getJsonObject("properties").containsKey("currentVersion")) {
                currentVersion = p.getJsonObject("properties").getJsonObject("currentVersion");
            }
        }
        assertNotNull(currentVersion, "409 documents currentVersion");
        assertEquals(new JsonArray().add("integer").add("null"), currentVersion.getValue("type"));
    }

    @Test
    void shouldDocumentTheRequestHeadersAndBodies() {
        JsonObject append = op("post", "/streams/{stream}");
        assertTrue(parameters("post", "/streams/{stream}", "header").containsAll(Set.of("Expected-Version", "Durability", "Event-Type", "Event-Id")),
                parameters("post", "/streams/{stream}", "header").toString());
        assertEquals(Set.of("stream"), parameters("post", "/streams/{stream}", "path"));
        JsonObject body = append.getJsonObject("requestBody").getJsonObject("content");
        assertEquals(Set.of("application/json", "application/octet-stream"), body.fieldNames());
        String oneOf = body.getJsonObject("application/json").encode();
        assertTrue(oneOf.contains("#/components/schemas/NewEvent") && oneOf.contains("#/components/schemas/NewEventBatch"), oneOf);
        assertTrue(schema("NewEvent").getJsonArray("required").contains("type"));
        assertTrue(schema("NewEvent").getJsonArray("required").contains("data"));
        assertEquals(1, schema("NewEventBatch").getInteger("minItems"));

        assertTrue(parameters("get", "/streams/{stream}", "query").containsAll(Set.of("from", "limit", "direction", "group")));
        assertTrue(parameters("get", "/streams/{stream}", "header").contains("Last-Event-ID"));
        assertTrue(parameters("get", "/all", "query").containsAll(Set.of("from", "limit")));
        assertTrue(parameters("get", "/all", "header").contains("Last-Event-ID"));
        assertTrue(parameters("get", "/streams", "query").containsAll(Set.of("from", "limit")));
        assertTrue(parameters("get", "/log", "query").containsAll(Set.of("from", "maxBytes")));
        assertEquals(Set.of("stream", "version"), parameters("get", "/streams/{stream}/{version}", "path"));
        assertEquals(Set.of("group", "stream"), parameters("put", "/groups/{group}/streams/{stream}", "path"));
        assertEquals(Set.of("application/json"),
                op("put", "/groups/{group}/streams/{stream}").getJsonObject("requestBody").getJsonObject("content").fieldNames());
    }

    @Test
    void shouldDocumentTheResponseHeadersAndFormats() {
        JsonObject created = op("post", "/streams/{stream}").getJsonObject("responses").getJsonObject("201");
        assertNotNull(created.getJsonObject("headers").getJsonObject("Location"));
        assertTrue(ref(created.getJsonObject("content").getJsonObject("application/json")).endsWith("/AppendResult"));
        assertTrue(schema("AppendResult").getJsonArray("required").getList()
                .containsAll(List.of("stream", "firstVersion", "lastVersion", "position", "durability")));

        for (String path : List.of("/streams/{stream}", "/all")) {
            JsonObject ok = op("get", path).getJsonObject("responses").getJsonObject("200");
            assertEquals(Set.of("application/json", "application/x-ndjson", "application/octet-stream", "text/event-stream"),
                    ok.getJsonObject("content").fieldNames(), path);
            assertTrue(ok.getJsonObject("headers").fieldNames().containsAll(Set.of("Strand-Next", "Link", "X-Accel-Buffering")), path);
            assertTrue(ref(ok.getJsonObject("content").getJsonObject("application/json")).endsWith("/Page"), path);
        }
        assertTrue(schema("Page").getJsonObject("properties").containsKey("next"));

        JsonObject event = op("get", "/streams/{stream}/{version}").getJsonObject("responses").getJsonObject("200");
        assertEquals(Set.of("application/json", "application/octet-stream"), event.getJsonObject("content").fieldNames());
        assertEquals(Set.of("Event-Type", "Event-Id", "Event-Version", "Event-Position"), event.getJsonObject("headers").fieldNames());
        assertTrue(schema("Event").getJsonArray("required").getList().containsAll(
                List.of("stream", "version", "position", "id", "type", "timestamp", "metadata", "data")));
        assertTrue(schema("Event").getJsonObject("properties").containsKey("dataEncoding"));

        JsonObject log = op("get", "/log").getJsonObject("responses").getJsonObject("200");
        assertEquals(Set.of("application/octet-stream"), log.getJsonObject("content").fieldNames());
        assertNotNull(log.getJsonObject("headers").getJsonObject("Strand-Next"));

        assertTrue(ref(op("get", "/streams").getJsonObject("responses").getJsonObject("200")
                .getJsonObject("content").getJsonObject("application/json")).endsWith("/StreamList"));
        assertTrue(ref(op("get", "/groups/{group}/streams/{stream}").getJsonObject("responses").getJsonObject("200")
                .getJsonObject("content").getJsonObject("application/json")).endsWith("/Group"));
        assertTrue(schema("Group").getJsonArray("required").getList().containsAll(List.of("group", "stream", "version")));
        assertTrue(op("put", "/groups/{group}/streams/{stream}").getJsonObject("responses").containsKey("204"));
    }

    private void statuses(String method, String path, String... statuses) {
        Set<String> documented = op(method, path).getJsonObject("responses").fieldNames();
        for (String status : statuses) {
            assertTrue(documented.contains(status), method.toUpperCase() + " " + path + " documents " + status + ": " + documented);
        }
    }

    private List<String[]> operations() {
        List<String[]> ops = new ArrayList<>();
        JsonObject paths = doc.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            for (String method : paths.getJsonObject(path).fieldNames()) {
                if (Set.of("get", "put", "post", "delete", "patch", "head", "options").contains(method)) {
                    ops.add(new String[]{method, path});
                }
            }
        }
        return ops;
    }

    private JsonObject op(String method, String path) {
        JsonObject op = doc.getJsonObject("paths").getJsonObject(path).getJsonObject(method);
        assertNotNull(op, method + " " + path);
        return op;
    }

    /** Names of the operation's parameters (its own and its path item's) in {@code in}. */
    private Set<String> parameters(String method, String path, String in) {
        JsonObject item = doc.getJsonObject("paths").getJsonObject(path);
        JsonArray all = new JsonArray();
        if (item.containsKey("parameters")) {
            all.addAll(item.getJsonArray("parameters"));
        }
        JsonObject op = op(method, path);
        if (op.containsKey("parameters")) {
            all.addAll(op.getJsonArray("parameters"));
        }
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < all.size(); i++) {
            JsonObject param = resolve(all.getJsonObject(i));
            if (in.equals(param.getString("in"))) {
                names.add(param.getString("name"));
            }
        }
        return names;
    }

    private JsonObject schema(String name) {
        JsonObject s = doc.getJsonObject("components").getJsonObject("schemas").getJsonObject(name);
        assertNotNull(s, "schema " + name);
        return s;
    }

    private static String ref(JsonObject mediaType) {
        return mediaType.getJsonObject("schema").getString("$ref", "");
    }

    /** Follows a local {@code $ref} ({@code #/components/<kind>/<name>}). */
    private JsonObject resolve(JsonObject maybeRef) {
        String ref = maybeRef.getString("$ref");
        if (ref == null) {
            return maybeRef;
        }
        assertTrue(ref.startsWith("#/"), ref);
        JsonObject at = doc;
        for (String part : ref.substring(2).split("/")) {
            at = at.getJsonObject(part);
            assertNotNull(at, "unresolved " + ref);
        }
        return resolve(at);
    }
}
