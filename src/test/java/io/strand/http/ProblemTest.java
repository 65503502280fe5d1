package io.strand.http;

import io.restassured.response.Response;
import io.strand.log.BatchTooLargeException;
import io.strand.store.InvalidRequestException;
import io.strand.store.WrongExpectedVersionException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Only the client's mistakes are 4xx: {@link InvalidRequestException} and this layer's own parse
 * errors are 400; an {@link IllegalArgumentException} (a broken invariant inside Strand) or any other
 * unexpected throwable is a 500 {@code internal} problem that names a reference, not the internals,
 * and is logged once with its stack trace. Answered through a real Vert.x server (no test hook in the
 * application) so the status, media type and body are what a client receives.
 */
class ProblemTest {
    private static Vertx vertx;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        router.get("/iae").handler(ctx -> Http.problem(ctx,
                new IllegalArgumentException("segment=/var/lib/strand/commitlog/00000000000000000000, offset=42")));
        router.get("/npe").handler(ctx -> Http.problem(ctx, new CompletionException(new NullPointerException("s.base"))));
        router.get("/invalid").handler(ctx -> Http.problem(ctx, new InvalidRequestException("limit must be at least 1")));
        router.get("/parse").handler(ctx -> Http.problem(ctx, Problem.badRequest("query parameter from must be a number")));
        // the routes' failure handler: a 4xx Vert.x chose stays a 4xx, a handler's own IAE is a 500
        router.get("/vertx-400").handler(ctx -> ctx.fail(400, new IllegalArgumentException("Illegal escape"))).failureHandler(HttpRoutes::failure);
        router.get("/thrown").handler(ctx -> {
            throw new IllegalArgumentException("a bug");
        }).failureHandler(HttpRoutes::failure);
        HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0)
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        port = server.actualPort();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldAnswerAnIllegalArgumentExceptionWith500WithoutItsInternals() {
        List<LogRecord> logged = capture(() -> {
            Response r = given().port(port).get("/iae");
            JsonObject p = ApiSupport.assertProblem(r, 500);
            assertEquals("urn:strand:problem:internal", p.getString("type"));
            assertFalse(p.getString("detail").contains("segment"), p.getString("detail"));
            assertFalse(p.getString("detail").contains("IllegalArgumentException"), p.getString("detail"));
            assertTrue(p.getString("detail").contains(p.getString("reference")), "the detail names the log's reference");
        });
        assertEquals(1, logged.size(), "logged once");
        assertTrue(logged.get(0).getThrown() instanceof IllegalArgumentException, "with the exception and its stack trace");
        assertTrue(logged.get(0).getThrown().getStackTrace().length > 0);
    }

    @Test
    void shouldAnswerAnyUnexpectedThrowableWith500() {
        JsonObject p = ApiSupport.assertProblem(given().port(port).get("/npe"), 500);
        assertEquals("urn:strand:problem:internal", p.getString("type"));
        assertFalse(p.getString("detail").contains("s.base"), p.getString("detail"));
    }

    @Test
    void shouldAnswerInvalidRequestsAndParseErrorsWith400() {
        JsonObject invalid = ApiSupport.assertProblem(given().port(port).get("/invalid"), 400);
        assertEquals("urn:strand:problem:bad-request", invalid.getString("type"));
        assertEquals("limit must be at least 1", invalid.getString("detail"));
        JsonObject parse = ApiSupport.assertProblem(given().port(port).get("/parse"), 400);
        assertEquals("query parameter from must be a number", parse.getString("detail"));
    }

    @Test
    void shouldKeepTheStatusVertxChoseButNotAHandlersIllegalArgument() {
        JsonObject refused = ApiSupport.assertProblem(given().port(port).get("/vertx-400"), 400);
        assertEquals("urn:strand:problem:bad-request", refused.getString("type"));
        JsonObject bug = ApiSupport.assertProblem(given().port(port).get("/thrown"), 500);
        assertEquals("urn:strand:problem:internal", bug.getString("type"));
        assertFalse(bug.getString("detail").contains("a bug"), bug.getString("detail"));
    }

    @Test
    void shouldMapStoreFailuresByMeaning() {
        assertEquals(500, Problem.of(new IllegalArgumentException("x")).status);
        assertEquals(500, Problem.of(new CompletionException(new IllegalStateException("x"))).status);
        assertEquals(400, Problem.of(new CompletionException(new InvalidRequestException("x"))).status);
        // a batch too large is an IllegalArgumentException of the log's: still 413, by its meaning
        assertEquals(413, Problem.of(new BatchTooLargeException("batch=9, max=8")).status);
        assertEquals(409, Problem.of(new WrongExpectedVersionException("s", 1, 2)).status);
        Problem p = Problem.badRequest("x");
        assertSame(p, Problem.of(p));
    }

    /** Runs {@code r} and returns what Problem logged meanwhile. */
    private static List<LogRecord> capture(Runnable r) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(Problem.class.getName());
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(h);
        try {
            r.run();
        } finally {
            logger.removeHandler(h);
        }
        return records;
    }
}
