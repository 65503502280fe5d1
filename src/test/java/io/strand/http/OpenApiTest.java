package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The OpenAPI document at {@code /q/openapi} (a static file: the routes are plain Vert.x routes no
 * scanner can see) documents every route of {@link HttpRoutes}, its headers, and its problems.
 */
@QuarkusTest
class OpenApiTest {
    private static final String PROBLEM = "application/problem+json";
    /** Where .ci/run installs the npm validators (.ci/package.json, .ci/package-lock.json). */
    private static final Path NODE_BIN = Path.of(".ci", "node_modules", ".bin");

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
        assertEquals("Apache-2.0", info.getJsonObject("license").getString("identifier"), "the license of LICENSE");
        JsonArray servers = doc.getJsonArray("servers");
        assertNotNull(servers, "servers");
        assertEquals("/", servers.getJsonObject(0).getString("url"), "the first server is the one serving the document");
        assertTrue(!info.getString("description").contains("DESIGN.md"), "no link out of the repository");
    }

    @Test
    void shouldDescribeContentNegotiationByQuality() {
        String description = doc.getJsonObject("info").getString("description");
        assertTrue(description.contains("highest `q` wins"), description);
        assertTrue(!description.contains("substring"), "Accept is negotiated, not searched: " + description);
    }

    @Test
    void shouldDocumentEveryRouteOfHttpRoutes() {
        Map<String, Set<String>> expected = Map.ofEntries(
                Map.entry("/streams/{stream}", Set.of("post", "get", "head", "delete")),
                Map.entry("/streams/{stream}/metadata", Set.of("put", "get", "head")),
                Map.entry("/streams", Set.of("get", "head")),
                Map.entry("/streams/{stream}/{version}", Set.of("get", "head")),
                Map.entry("/all", Set.of("get", "head")),
                Map.entry("/groups/{group}/streams/{stream}", Set.of("put", "get", "head")),
                Map.entry("/groups", Set.of("get", "head")),
                Map.entry("/groups/{group}", Set.of("put", "get", "head", "delete")),
                Map.entry("/groups/{group}/events", Set.of("get")),
                Map.entry("/groups/{group}/ack", Set.of("post")),
                Map.entry("/groups/{group}/nack", Set.of("post")),
                Map.entry("/groups/{group}/parked", Set.of("get", "head")),
                Map.entry("/groups/{group}/parked/replay", Set.of("post")),
                Map.entry("/log", Set.of("get")),
                Map.entry("/cluster", Set.of("get", "head")));
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
        statuses("post", "/streams/{stream}", "201", "400", "401", "403", "409", "410", "413", "415", "503", "507");
        statuses("delete", "/streams/{stream}", "204", "400", "401", "403", "404", "409", "410", "503", "507");
        statuses("put", "/streams/{stream}/metadata", "204", "400", "410", "413", "415", "503", "507");
        statuses("get", "/streams/{stream}/metadata", "200", "400", "404", "410", "503");
        statuses("get", "/streams/{stream}", "200", "400", "404", "410", "503");
        statuses("get", "/streams", "200", "400", "503");
        statuses("get", "/streams/{stream}/{version}", "200", "400", "404", "410", "503");
        statuses("get", "/all", "200", "400", "401", "403", "410", "503");
        assertEquals(Set.of("bearerToken", "accessToken"), doc.getJsonObject("components").getJsonObject("securitySchemes").fieldNames());
        assertEquals("access_token", doc.getJsonObject("components").getJsonObject("securitySchemes").getJsonObject("accessToken")
                .getString("name"), "the query form EventSource needs is declared");
        statuses("put", "/groups/{group}/streams/{stream}", "204", "400", "404", "413", "415", "503", "507");
        statuses("get", "/groups/{group}/streams/{stream}", "200", "400", "404", "503");
        statuses("put", "/groups/{group}", "201", "204", "400", "415", "503");
        statuses("post", "/groups/{group}/ack", "204", "400", "404", "415", "503");
        statuses("post", "/groups/{group}/nack", "204", "400", "404", "415", "503");
        statuses("get", "/groups/{group}/events", "200", "404", "406", "503");
        statuses("get", "/groups/{group}/parked", "200", "400", "404", "503");
        statuses("get", "/log", "200", "400", "410", "503");
        statuses("get", "/cluster", "200", "400", "404", "503");

        for (String[] op : operations()) {
            JsonObject responses = op(op[0], op[1]).getJsonObject("responses");
            if (op[0].equals("head")) {
                assertHeadResponses(op[1], responses);
                continue;
            }
            JsonObject notAllowed = responses.getJsonObject("405");
            assertNotNull(notAllowed, op[0] + " " + op[1] + " documents 405 (for the methods the path does not serve)");
            assertNotNull(resolve(notAllowed).getJsonObject("headers").getJsonObject("Allow"), op[0] + " " + op[1] + " 405 carries Allow");
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
    void shouldDiscriminateTheConflictsByProblemType() {
        JsonObject media = resolve(op("post", "/streams/{stream}").getJsonObject("responses").getJsonObject("409"))
                .getJsonObject("content").getJsonObject(PROBLEM);
        JsonObject schema = media.getJsonObject("schema");
        JsonArray oneOf = schema.getJsonArray("oneOf");
        JsonObject mapping = schema.getJsonObject("discriminator").getJsonObject("mapping");
        assertEquals("type", schema.getJsonObject("discriminator").getString("propertyName"));
        Set<String> types = new TreeSet<>();
        for (int i = 0; i < oneOf.size(); i++) {
            String ref = oneOf.getJsonObject(i).getString("$ref");
            String type = problemTypeConst(resolve(oneOf.getJsonObject(i)));
            assertNotNull(type, ref + " fixes its problem type");
            assertEquals(ref, mapping.getString(type), "the discriminator maps " + type);
            types.add(type);
        }
        assertEquals(oneOf.size(), types.size(), "every alternative has its own problem type");
        JsonObject examples = media.getJsonObject("examples");
        for (String name : examples.fieldNames()) {
            String type = examples.getJsonObject(name).getJsonObject("value").getString("type");
            assertTrue(types.contains(type), "example " + name + " is one of the alternatives: " + type);
        }
    }

    @Test
    void shouldDocumentTheUnknownParameterProblem() {
        JsonObject bad = resolve(op("get", "/all").getJsonObject("responses").getJsonObject("400"));
        assertTrue(bad.getString("description").contains("`parameter`"), bad.getString("description"));
        JsonObject example = bad.getJsonObject("content").getJsonObject(PROBLEM).getJsonObject("examples")
                .getJsonObject("unknownParameter").getJsonObject("value");
        assertEquals("category", example.getString("parameter"));
    }

    /**
     * The query parameters each operation documents are exactly those the server takes: a request
     * with an unknown one is refused with the list of the parameters the route takes.
     */
    @Test
    void shouldDocumentExactlyTheQueryParametersEachOperationTakes() {
        for (String[] op : operations()) {
            String method = op[0];
            String path = op[1].replace("{stream}", "openapi-q").replace("{version}", "0").replace("{group}", "openapi-g");
            io.restassured.response.Response r = given().contentType("application/json").body(method.equals("get") || method.equals("head") ? "" : "{}")
                    .request(method.toUpperCase(java.util.Locale.ROOT), path + "?undocumented-parameter=1");
            assertEquals(400, r.statusCode(), method + " " + path + " refuses an undocumented parameter");
            if (method.equals("head")) {
                continue;
            }
            String detail = new JsonObject(r.asString()).getString("detail");
            Set<String> documented = parameters(method, op[1], "query");
            String takes = detail.substring(detail.indexOf(" takes ") + " takes ".length());
            Set<String> served = takes.equals("no query parameters") ? Set.of()
                    : new TreeSet<>(List.of(takes.substring("only ".length()).split(", ")));
            assertEquals(documented, served, method.toUpperCase() + " " + op[1] + ": documented query parameters = those the server takes");
        }
    }

    /** The reads a client can hold until this node has applied its write, or until a linearizable point (ReadGate). */
    private static final List<String> READ_PATHS = List.of("/streams", "/streams/{stream}", "/streams/{stream}/{version}", "/all",
            "/groups/{group}/streams/{stream}", "/streams/{stream}/metadata");

    /**
     * Every read (GET and HEAD) documents the read-your-writes and linearizable-read options both as
     * the headers and as the query parameters (for EventSource) ReadGate takes, and the 400 and 503
     * they can answer.
     */
    @Test
    void shouldDocumentTheReadOptionsOnEveryRead() {
        for (String path : READ_PATHS) {
            for (String method : List.of("get", "head")) {
                String op = method.toUpperCase(java.util.Locale.ROOT) + " " + path;
                assertTrue(parameters(method, path, "header").containsAll(Set.of(ReadGate.MIN_POSITION_HEADER, ReadGate.CONSISTENCY_HEADER)),
                        op + " documents both headers: " + parameters(method, path, "header"));
                assertTrue(parameters(method, path, "query").containsAll(Set.of(ReadGate.MIN_POSITION_PARAM, ReadGate.CONSISTENCY_PARAM)),
                        op + " documents both query parameters: " + parameters(method, path, "query"));
                statuses(method, path, "400", "503");
            }
        }
        JsonObject parameters = doc.getJsonObject("components").getJsonObject("parameters");
        for (String name : List.of("MinPosition", "MinPositionHeader")) {
            JsonObject schema = parameters.getJsonObject(name).getJsonObject("schema");
            assertEquals("integer", schema.getString("type"), name);
            assertEquals(0, schema.getInteger("minimum"), name);
        }
        for (String name : List.of("Consistency", "ConsistencyHeader")) {
            assertEquals(new JsonArray().add("linearizable"), parameters.getJsonObject(name).getJsonObject("schema").getJsonArray("enum"), name);
        }
        assertTrue(parameters.getJsonObject("MinPosition").getString("description").contains("strand.cluster.read-wait"));
        String info = doc.getJsonObject("info").getString("description");
        assertTrue(info.contains("Strand-Min-Position") && info.contains("linearizable"), "the description names the read options");
        String appendUnavailable = resolve(op("post", "/streams/{stream}").getJsonObject("responses").getJsonObject("503")).getString("description");
        assertTrue(appendUnavailable.contains("same event ids") && appendUnavailable.contains("majority"), appendUnavailable);
    }

    @Test
    void shouldDescribeTheClusterStatus() {
        JsonObject status = schema("ClusterStatus");
        assertEquals(Set.of("nodeId", "role", "leader", "term", "commitIndex", "appliedIndex", "appliedPosition", "peers", "snapshot"),
                status.getJsonObject("properties").fieldNames());
        assertTrue(!status.getJsonArray("required").contains("snapshot"), "snapshot is optional");
        JsonObject properties = status.getJsonObject("properties");
        assertEquals(new JsonArray().add("leader").add("follower").add("candidate"), properties.getJsonObject("role").getJsonArray("enum"));
        assertEquals(new JsonArray().add("string").add("null"), properties.getJsonObject("leader").getValue("type"));
        assertTrue(properties.getJsonObject("snapshot").encode().contains("\"null\""), "snapshot may be null");
        assertEquals(Set.of("id", "raftAddress", "httpAddress"), resolve(properties.getJsonObject("peers").getJsonObject("items"))
                .getJsonObject("properties").fieldNames());
        assertEquals(Set.of(), parameters("get", "/cluster", "query"));

        JsonObject disabled = resolve(op("get", "/cluster").getJsonObject("responses").getJsonObject("404"));
        JsonObject example = disabled.getJsonObject("content").getJsonObject(PROBLEM).getJsonObject("example");
        assertEquals("urn:strand:problem:cluster-disabled", example.getString("type"));
        // The single node of this test answers exactly that.
        assertEquals("urn:strand:problem:cluster-disabled",
                new JsonObject(given().get("/cluster").then().statusCode(404).extract().asString()).getString("type"));
    }

    private String problemTypeConst(JsonObject schema) {
        JsonArray allOf = schema.getJsonArray("allOf", new JsonArray());
        for (int i = 0; i < allOf.size(); i++) {
            JsonObject part = resolve(allOf.getJsonObject(i));
            JsonObject type = part.getJsonObject("properties", new JsonObject()).getJsonObject("type");
            if (type != null && type.containsKey("const")) {
                return type.getString("const");
            }
        }
        return null;
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

    /** HEAD answers what GET answers, without a body: the same statuses, headers only. */
    private void assertHeadResponses(String path, JsonObject responses) {
        Set<String> get = new TreeSet<>(op("get", path).getJsonObject("responses").fieldNames());
        get.remove("405"); // HEAD is served wherever it is documented
        assertEquals(get, new TreeSet<>(responses.fieldNames()), "HEAD " + path + " answers GET's statuses");
        for (String status : responses.fieldNames()) {
            JsonObject response = resolve(responses.getJsonObject(status));
            assertTrue(!response.containsKey("content"), "HEAD " + path + " " + status + " has no body");
            assertNotNull(response.getJsonObject("headers").getJsonObject("Content-Length"),
                    "HEAD " + path + " " + status + " says GET's Content-Length");
        }
        JsonObject okHeaders = responses.getJsonObject("200").getJsonObject("headers");
        assertTrue(okHeaders.fieldNames().containsAll(
                op("get", path).getJsonObject("responses").getJsonObject("200").getJsonObject("headers", new JsonObject()).fieldNames()
                        .stream().filter(h -> !Set.of("X-Accel-Buffering", "Cache-Control").contains(h)).toList()),
                "HEAD " + path + " 200 has GET's page headers: " + okHeaders.fieldNames());
        assertNotNull(resolve(responses.getJsonObject("503")).getJsonObject("headers").getJsonObject("Retry-After"),
                "HEAD " + path + " 503 carries Retry-After");
    }

    /**
     * The served document passes two independent validators, pinned in {@code .ci/package.json}
     * and installed by {@code .ci/run}: swagger-cli (the OpenAPI schema and $refs) and Redocly's
     * linter with {@code redocly.yaml} (the recommended rules, examples checked against their
     * schemas, the security schemes declared). Without them the test fails
     * under {@code CI=true} and is skipped elsewhere.
     */
    @Test
    void shouldPassSwaggerCliValidateAndRedoclyLint(@TempDir Path dir) throws Exception {
        Path swaggerCli = NODE_BIN.resolve("swagger-cli");
        Path redocly = NODE_BIN.resolve("redocly");
        for (Path tool : List.of(swaggerCli, redocly)) {
            if (!Files.isExecutable(tool)) {
                String message = tool + " is missing: run `npm ci --prefix .ci` (as .ci/run does) to install the OpenAPI validators";
                if ("true".equals(System.getenv("CI"))) {
                    fail(message);
                }
                Assumptions.abort(message);
            }
        }
        Path served = dir.resolve("openapi.yaml");
        Files.writeString(served, given().when().get("/q/openapi").then().statusCode(200).extract().asString());

        String validated = run(swaggerCli.toString(), "validate", served.toString());
        assertTrue(validated.contains("is valid"), validated);

        String linted = run(redocly.toString(), "lint", "--config", "redocly.yaml", served.toString());
        assertTrue(linted.contains("Your API description is valid"), linted);
        assertTrue(!linted.toLowerCase(java.util.Locale.ROOT).contains("warning"), "no warnings either:\n" + linted);
    }

    /** Runs a command in the project directory; fails with its output unless it exits 0. */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out);
        return out;
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
