package io.strand.http;

import io.strand.ops.DiskSpace;
import io.strand.ops.StorageLifecycle;
import io.strand.ops.StrandMetrics;
import io.strand.ops.StrandConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The HTTP contract of DESIGN.md as Vert.x routes: handlers run on the event loop and never block;
 * reads go to the {@link ReadExecutor}, appends that must leave the loop to the {@link AppendExecutor}; bodies are bounded before they are read. Every error is an
 * RFC 9457 problem ({@link Problem}).
 */
@ApplicationScoped
public class HttpRoutes {
    private static final long GROUP_BODY_LIMIT = 4096;

    private final StrandConfig config;
    private final StorageLifecycle storage;
    private final ReadExecutor readers;
    private final AppendExecutor appenders;
    private final DiskSpace disk;
    private final StrandMetrics metrics;
    /** Re-reads the tokens file and the JWT key; null without credentials. Stopped with the application. */
    private java.util.concurrent.ScheduledExecutorService reload;

    HttpRoutes(StrandConfig config, StorageLifecycle storage, ReadExecutor readers, AppendExecutor appenders, DiskSpace disk,
               StrandMetrics metrics) {
        this.appenders = appenders;
        this.metrics = metrics;
        this.config = config;
        this.disk = disk;
        this.storage = storage;
        this.readers = readers;
    }

    /** The query forms of the read-your-writes and linearizable-read headers, accepted by every read (ReadGate). */
    private static final String[] READ_WAIT = {ReadGate.MIN_POSITION_PARAM, ReadGate.CONSISTENCY_PARAM};

    void register(@Observes Router router) {
        long maxEvent = config.maxEventSize().asLongValue();
        int maxPage = config.read().maxPageSize();
        AppendHandler append = new AppendHandler(storage, disk, appenders, maxEvent, metrics,
                config.http().appendTimeout().toMillis());
        ReadHandler read = new ReadHandler(storage, readers, maxPage);
        SseHandler sse = new SseHandler(storage, readers, config.sse().heartbeat().toMillis(),
                config.sse().retry().toMillis(), config.sse().checkpointRecords());
        GroupHandler groups = new GroupHandler(storage, disk);
        LifecycleHandler lifecycle = new LifecycleHandler(storage, disk, readers);
        SharedGroupHandler shared = new SharedGroupHandler(storage, config.sse().heartbeat().toMillis(),
                config.sse().retry().toMillis(), maxPage);
        LeaderForward forward = new LeaderForward(storage, Math.max(30_000, 3 * config.sse().heartbeat().toMillis()),
                config.cluster().readWait().toMillis());
        LogHandler log = new LogHandler(storage, readers);
        ReadGate gate = new ReadGate(storage, config.cluster().readWait().toMillis());
        ClusterHandler cluster = new ClusterHandler(storage);

        // Ahead of every route, Quarkus's own (health, metrics) included: CORS answers preflights and
        // refuses pages of origins not allowed before anything else runs.
        router.route().order(-10).handler(new CrossOrigin(config.http().cors().origins().orElse(java.util.List.of())));
        // Then who is calling (protected mode, bearer tokens); each route checks what it may do.
        router.route().order(-9).handler(accessControl());

        // Vert.x takes a body handler only first: the caller is known by then (AccessControl, above),
        // what it may do is checked right after the body is read.
        router.post("/streams/:stream")
                .handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodySize().asLongValue()))
                .handler(AccessControl.write("stream"))
                .handler(Params.only())
                .handler(append::handle)
                .failureHandler(HttpRoutes::failure);
        router.route("/streams").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.readSome()).handler(Params.only("from", "limit", "prefix", READ_WAIT[0], READ_WAIT[1])).handler(gate).handler(read::list).failureHandler(HttpRoutes::failure);
        router.route("/streams/:stream").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.read("stream")).handler(Params.only("from", Params.FROM_TIME, "limit", "direction", "group", SseHandler.TYPED, Filters.TYPE, READ_WAIT[0], READ_WAIT[1])).handler(gate).handler(ctx -> {
            if (SseHandler.wants(ctx)) {
                sse.stream(ctx);
            } else {
                read.streamPage(ctx);
            }
        }).failureHandler(HttpRoutes::failure);
        router.delete("/streams/:stream").handler(AccessControl.write("stream")).handler(Params.only(LifecycleHandler.HARD)).handler(lifecycle::delete).failureHandler(HttpRoutes::failure);
        router.put("/streams/:stream/metadata")
                .handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodySize().asLongValue()))
                .handler(AccessControl.write("stream"))
                .handler(Params.only())
                .handler(lifecycle::put)
                .failureHandler(HttpRoutes::failure);
        router.route("/streams/:stream/metadata").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.read("stream")).handler(Params.only(READ_WAIT)).handler(gate).handler(lifecycle::get).failureHandler(HttpRoutes::failure);
        router.route("/streams/:stream/:version").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.read("stream")).handler(Params.only(READ_WAIT)).handler(gate).handler(read::event).failureHandler(HttpRoutes::failure);
        router.route("/all").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.readAll()).handler(Params.only("from", Params.FROM_TIME, "limit", SseHandler.TYPED, Filters.TYPE, Filters.STREAM_PREFIX, READ_WAIT[0], READ_WAIT[1])).handler(gate).handler(ctx -> {
            if (SseHandler.wants(ctx)) {
                sse.all(ctx);
            } else {
                read.allPage(ctx);
            }
        }).failureHandler(HttpRoutes::failure);
        router.put("/groups/:group/streams/:stream")
                .handler(BodyHandler.create(false).setBodyLimit(GROUP_BODY_LIMIT))
                .handler(AccessControl.read("stream"))
                .handler(Params.only())
                .handler(groups::put)
                .failureHandler(HttpRoutes::failure);
        router.route("/groups/:group/streams/:stream").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.read("stream")).handler(Params.only(READ_WAIT)).handler(gate).handler(groups::get).failureHandler(HttpRoutes::failure);
        router.route("/groups").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.readSome()).handler(Params.only()).handler(forward).handler(shared::list).failureHandler(HttpRoutes::failure);
        router.put("/groups/:group").handler(BodyHandler.create(false).setBodyLimit(GROUP_BODY_LIMIT * 4)).handler(AccessControl.readSome())
                .handler(Params.only()).handler(forward).handler(shared::put).failureHandler(HttpRoutes::failure);
        router.route("/groups/:group").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.readSome()).handler(Params.only()).handler(forward).handler(shared::get).failureHandler(HttpRoutes::failure);
        router.delete("/groups/:group").handler(AccessControl.readSome()).handler(Params.only()).handler(forward).handler(shared::delete).failureHandler(HttpRoutes::failure);
        router.get("/groups/:group/events").handler(AccessControl.readSome()).handler(Params.only()).handler(forward).handler(shared::events).failureHandler(HttpRoutes::failure);
        for (String settle : new String[]{"ack", "nack"}) {
            router.post("/groups/:group/" + settle).handler(BodyHandler.create(false).setBodyLimit(1 << 20)).handler(AccessControl.readSome())
                    .handler(Params.only()).handler(forward).handler(settle.equals("ack") ? shared::ack : shared::nack).failureHandler(HttpRoutes::failure);
        }
        router.route("/groups/:group/parked").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.readSome()).handler(Params.only("from", "limit")).handler(forward).handler(shared::parked).failureHandler(HttpRoutes::failure);
        router.post("/groups/:group/parked/replay").handler(AccessControl.readSome()).handler(Params.only()).handler(forward).handler(shared::replay).failureHandler(HttpRoutes::failure);
        router.route("/cluster").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(AccessControl.admin()).handler(Params.only()).handler(cluster::handle).failureHandler(HttpRoutes::failure);
        router.get("/log").handler(AccessControl.admin()).handler(Params.only("from", "maxBytes", "via")).handler(log::handle).failureHandler(HttpRoutes::failure);

        // The console's files are static resources (META-INF/resources/console/); / and /console lead there.
        router.route("/").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(HttpRoutes::toConsole);
        router.route("/console").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(HttpRoutes::toConsole);

        // A known path with a method it does not serve: 405 (routes match in order, so these come last;
        // .../metadata ahead of .../:version, which would also match it).
        String[] allowedByPath = {"/streams", "GET, HEAD", "/streams/:stream", "GET, HEAD, POST, DELETE",
                "/streams/:stream/metadata", "GET, HEAD, PUT", "/streams/:stream/:version", "GET, HEAD",
                "/all", "GET, HEAD", "/groups/:group/streams/:stream", "GET, HEAD, PUT", "/log", "GET",
                "/groups", "GET, HEAD", "/groups/:group", "GET, HEAD, PUT, DELETE", "/groups/:group/events", "GET",
                "/groups/:group/ack", "POST", "/groups/:group/nack", "POST", "/groups/:group/parked", "GET, HEAD",
                "/groups/:group/parked/replay", "POST",
                "/cluster", "GET, HEAD"};
        java.util.Map<String, String> allowed = new java.util.LinkedHashMap<>();
        for (int i = 0; i < allowedByPath.length; i += 2) {
            allowed.put(allowedByPath[i], allowedByPath[i + 1]);
        }
        allowed.forEach((path, allow) -> router.route(path).handler(ctx -> {
            ctx.response().putHeader("Allow", allow);
            Http.problem(ctx, new Problem(405, "method-not-allowed", "Method not allowed",
                    ctx.request().method() + " is not supported on " + EventParser.abbreviate(ctx.request().path())
                            + "; allowed: " + allow));
        }));
        // No route for the path: a problem too, not Vert.x's HTML page.
        router.errorHandler(404, ctx -> Http.problem(ctx,
                Problem.notFound("no resource at " + EventParser.abbreviate(ctx.request().path()))));
    }

    /** Only {@code /} and {@code /console} themselves (a Vert.x route of "/" also matches every path below it). */
    @jakarta.annotation.PreDestroy
    void stopReloading() {
        if (reload != null) {
            reload.shutdownNow();
        }
    }

    private static void toConsole(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (!path.equals("/") && !path.equals("/console")) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(302).putHeader("Location", "/console/").end();
    }

    /**
     * The access control of {@code strand.auth.*} and {@code strand.cluster.secret}; a tokens file is
     * watched for changes every second (off the event loop).
     */
    private AccessControl accessControl() {
        TokenFile tokens = config.auth().tokensFile().map(TokenFile::new).orElse(null);
        StrandConfig.Jwt j = config.auth().jwt();
        JwtVerifier jwt = j.publicKeyLocation().map(location -> new JwtVerifier(location, j.issuer().orElse(null),
                j.audience().orElse(null), j.permissionsClaim())).orElse(null);
        String secret = config.cluster().secret().orElse(null);
        if ((tokens != null || jwt != null) && config.cluster().enabled() && secret == null) {
            throw new IllegalArgumentException("client credentials (strand.auth.*) are configured with strand.cluster.enabled=true: "
                    + "members must then authenticate to each other too; set the same strand.cluster.secret on every member");
        }
        if (tokens != null || jwt != null) {
            reload = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "strand-credentials-reload");
                t.setDaemon(true);
                return t;
            });
            if (tokens != null) {
                reload.scheduleWithFixedDelay(tokens::reloadIfChanged, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
            }
            if (jwt != null) { // the first read at once, off the event loop (a provider's jwks_uri may be slow)
                long every = Math.max(1, j.keyRefresh().toSeconds());
                reload.scheduleWithFixedDelay(jwt::reload, 0, every, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        return new AccessControl(tokens, jwt, secret);
    }

    /**
     * Failures raised by Vert.x itself (a body over the limit, a bad request line) as problems too. A
     * 4xx status Vert.x chose wins over the exception's type: Vert.x reports some client mistakes with
     * an {@link IllegalArgumentException}, which from Strand's own code would be a 500.
     */
    static void failure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        int status = ctx.statusCode();
        if (status == 413) {
            Http.problem(ctx, Problem.tooLarge("the request body is larger than strand.http.max-body-size"));
        } else if (t != null && !(t instanceof Problem) && status >= 400 && status < 500) {
            Http.problem(ctx, new Problem(status, "bad-request", "Bad request", "the request was refused: status "
                    + status + ": " + EventParser.abbreviate(String.valueOf(t.getMessage()))));
        } else if (t != null) {
            Http.problem(ctx, t);
        } else if (status >= 400 && status < 500) {
            Http.problem(ctx, new Problem(status, "bad-request", "Bad request", "the request was refused: status " + status));
        } else {
            Http.problem(ctx, new Problem(500, "internal", "Internal server error", "status " + status));
        }
    }
}
