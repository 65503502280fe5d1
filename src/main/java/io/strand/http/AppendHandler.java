package io.strand.http;

import io.strand.ops.DiskSpace;
import io.strand.ops.StorageLifecycle;
import io.strand.ops.StrandMetrics;
import io.strand.store.AppendOutcome;
import io.strand.store.EventWriter;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.StreamNames;
import io.strand.store.WriteDurability;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code POST /streams/{stream}}: validates everything before the store sees it (name, media type,
 * JSON, sizes, headers), appends, and answers 201 from the request's own event loop once the log
 * committed (or flushed) the batch. With the pool on, the append itself is a memory copy and runs
 * on the event loop; with it off, appends write into the mapping and run on an append thread. Either
 * way the store reads the log for a repeat check (a re-sent batch) and re-runs an append that waits
 * for an in-flight one on the append threads ({@link AppendExecutor}), never on the read threads, so
 * heavy reads cannot refuse appends; when the append threads are full that is a 503.
 */
final class AppendHandler {
    private final StorageLifecycle storage;
    private final DiskSpace disk;
    private final Executor appendThreads;
    private final long maxEventSize;
    private final StrandMetrics metrics;
    private final long timeoutMillis;

    AppendHandler(StorageLifecycle storage, DiskSpace disk, Executor appendThreads, long maxEventSize,
                  StrandMetrics metrics, long timeoutMillis) {
        this.metrics = metrics;
        this.timeoutMillis = timeoutMillis;
        this.storage = storage;
        this.disk = disk;
        this.appendThreads = appendThreads;
        this.maxEventSize = maxEventSize;
    }

    void handle(RoutingContext ctx) {
        long started = System.nanoTime();
        String stream = ctx.pathParam("stream");
        EventParser.Parsed events;
        long expected;
        WriteDurability durability;
        EventWriter store;
        boolean pooled;
        try {
            checkName(stream);
            store = Http.writer(storage);
            events = events(ctx);
            // Replicated appends go through the Raft client, which may block its caller when many
            // requests are outstanding: never on the event loop.
            pooled = Http.checkWritable(storage, disk).poolEnabled() && !storage.clustered();
            expected = expectedVersion(ctx);
            durability = durability(ctx);
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
            return;
        }
        Context loop = Vertx.currentContext();
        CompletionStage<AppendOutcome> appended;
        if (pooled) {
            // On the event loop: a re-send (or a fingerprint that matches an earlier id) reads records
            // that may not be resident, so the store re-runs such appends on the append threads.
            appended = store.write(stream, events.events(), expected, durability, appendThreads, events.freshIds());
        } else {
            CompletableFuture<AppendOutcome> f = new CompletableFuture<>();
            try {
                appendThreads.execute(() -> store.write(stream, events.events(), expected, durability, appendThreads,
                        events.freshIds()).whenComplete((o, e) -> {
                    if (e != null) {
                        f.completeExceptionally(e);
                    } else {
                        f.complete(o);
                    }
                }));
            } catch (RuntimeException rejected) {
                f.completeExceptionally(rejected);
            }
            appended = f;
        }
        // An append waits for its commit (or flush) at most timeoutMillis (e.g. while no segment can
        // be created): then the client gets a 503 instead of a request that never ends. Both the
        // timer and the completion run on this event loop, so exactly one of them answers.
        boolean[] answered = {false};
        long timer = loop.owner().setTimer(timeoutMillis, id -> {
            if (!answered[0]) {
                answered[0] = true;
                Http.problem(ctx, Problem.appendTimeout(timeoutMillis));
            }
        });
        appended.whenComplete((o, e) -> loop.runOnContext(v -> {
            if (answered[0]) {
                return;
            }
            answered[0] = true;
            loop.owner().cancelTimer(timer);
            if (e != null) {
                Http.problem(ctx, refused(e));
            } else {
                metrics.appended(System.nanoTime() - started);
                created(ctx, o);
            }
        }));
    }

    /** A full append executor is a 503 that names appends (the store passes its refusal on as is). */
    private static Throwable refused(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause instanceof RejectedExecutionException
                ? Problem.unavailable("too many appends in progress; retry shortly", 1)
                : e;
    }

    static void checkName(String stream) {
        if (!StreamNames.isValid(stream)) {
            throw Problem.badRequest("stream names are 1-" + StreamNames.MAX_LENGTH
                    + " characters of letters, digits and -_.:@ (not starting with $): " + EventParser.abbreviate(String.valueOf(stream)));
        }
    }

    private EventParser.Parsed events(RoutingContext ctx) {
        String type = Params.contentType(ctx);
        byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        if (type.equals(Http.JSON)) {
            String charset = Params.charset(ctx);
            if (charset != null && !charset.equals("utf-8") && !charset.equals("utf8")) {
                throw Problem.unsupportedType("JSON appends are UTF-8 only; got charset=" + EventParser.abbreviate(charset));
            }
            return EventParser.parse(body, maxEventSize);
        }
        if (type.equals(Http.OCTETS)) {
            String eventType = ctx.request().getHeader("Event-Type");
            if (eventType == null) {
                throw Problem.badRequest("a binary event needs its type in the Event-Type header");
            }
            EventParser.checkType(eventType, "Event-Type");
            if (body.length > maxEventSize) {
                throw Problem.tooLarge("the event is " + body.length + " bytes; strand.max-event-size is " + maxEventSize);
            }
            String id = ctx.request().getHeader("Event-Id");
            UUID uuid = id == null ? UUID.randomUUID() : EventParser.uuid(id, "Event-Id");
            return new EventParser.Parsed(List.of(new NewEvent(uuid, eventType, body, null, true)), id == null);
        }
        throw Problem.unsupportedType("appends take application/json (an event or an array of events) or "
                + "application/octet-stream (one binary event, type in Event-Type); got " + (type.isEmpty() ? "none" : type));
    }

    static long expectedVersion(RoutingContext ctx) {
        String v = ctx.request().getHeader("Expected-Version");
        if (v == null) {
            return ExpectedVersion.ANY;
        }
        try {
            return ExpectedVersion.parse(v.trim());
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest(e.getMessage());
        }
    }

    private static WriteDurability durability(RoutingContext ctx) {
        String v = ctx.request().getHeader("Durability");
        if (v == null) {
            return null;
        }
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "fsync" -> WriteDurability.FLUSHED;
            case "async" -> WriteDurability.COMMITTED;
            default -> throw Problem.badRequest("Durability must be fsync or async: " + EventParser.abbreviate(v));
        };
    }

    private static void created(RoutingContext ctx, AppendOutcome o) {
        if (ctx.response().closed()) {
            return;
        }
        // Written by hand: through JsonObject (Jackson databind) this answer was 5% of a cluster
        // leader's event loop. Stream names are ASCII letters, digits and -_.:@: nothing JSON escapes.
        String body = "{\"stream\":\"" + o.stream() + "\",\"firstVersion\":" + o.firstVersion()
                + ",\"lastVersion\":" + o.lastVersion() + ",\"position\":" + o.position()
                + ",\"durability\":\"" + (WriteDurability.of(o) == WriteDurability.FLUSHED ? "fsync" : "async") + "\"}";
        ctx.response().setStatusCode(201)
                .putHeader("Location", "/streams/" + o.stream() + "/" + o.firstVersion())
                .putHeader("Content-Type", Http.JSON)
                .end(Buffer.buffer(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
