package io.strand.http;

import io.strand.ops.StorageLifecycle;
import io.strand.store.EventStore;
import io.strand.store.StorageStatus;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

import java.util.OptionalLong;
import java.util.concurrent.Executor;

/**
 * {@code GET /streams/{stream}} and {@code GET /all} with {@code Accept: text/event-stream}: where
 * to start ({@code Last-Event-ID} wins over {@code ?group=}, which wins over {@code ?from=}, a number
 * or {@code end}), then an {@link SseConnection} on a store subscription read on the read threads.
 */
final class SseHandler {
    static final String TYPED = "typed";
    private final StorageLifecycle storage;
    private final Executor readers;
    private final long heartbeatMillis;
    private final long retryMillis;
    private final int checkpointRecords;

    SseHandler(StorageLifecycle storage, Executor readers, long heartbeatMillis, long retryMillis, int checkpointRecords) {
        this.storage = storage;
        this.readers = readers;
        this.heartbeatMillis = heartbeatMillis;
        this.retryMillis = retryMillis;
        this.checkpointRecords = checkpointRecords;
    }

    static boolean wants(RoutingContext ctx) {
        return ctx.request().method() != io.vertx.core.http.HttpMethod.HEAD && Params.acceptsExactly(ctx, Http.EVENT_STREAM);
    }

    void stream(RoutingContext ctx) {
        try {
            String stream = ctx.pathParam("stream");
            AppendHandler.checkName(stream);
            EventStore store = Http.store(storage);
            store.checkReadable(stream); // deleted or tombstoned: a problem, not an empty stream
            long from = start(ctx);
            boolean typed = typed(ctx);
            String lastEventId = ctx.request().getHeader("Last-Event-ID");
            if (lastEventId != null) {
                from = Params.parse(lastEventId, "Last-Event-ID") + 1;
            } else if (ctx.request().getParam("group") != null) {
                String group = ctx.request().getParam("group");
                if (!io.strand.store.StreamNames.isValid(group)) {
                    throw Problem.badRequest("group names are 1-200 characters of letters, digits and -_.:@: "
                            + EventParser.abbreviate(group));
                }
                OptionalLong committed = store.groupVersion(group, stream);
                if (committed.isPresent()) {
                    from = committed.getAsLong() + 1;
                }
            }
            io.strand.store.EventFilter filter = Filters.of(ctx);
            long fromTime = lastEventId == null && ctx.request().getParam("group") == null ? Params.fromTime(ctx) : -1;
            if (fromTime < 0) {
                subscribe(ctx, store, stream, from, typed, filter);
                return;
            }
            // A time to start at: found by reading the log, on a read thread.
            Context loop = Vertx.currentContext();
            readers.execute(() -> {
                long start;
                try {
                    start = store.versionAt(stream, fromTime);
                } catch (io.strand.store.StreamNotFoundException none) {
                    start = 0; // not there yet: it is waited for, from its first event
                } catch (RuntimeException e) {
                    loop.runOnContext(v -> Http.problem(ctx, e));
                    return;
                }
                long at = start;
                loop.runOnContext(v -> {
                    if (!ctx.response().closed()) {
                        subscribe(ctx, store, stream, at, typed, filter);
                    }
                });
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    private void subscribe(RoutingContext ctx, EventStore store, String stream, long from, boolean typed,
                           io.strand.store.EventFilter filter) {
        SseConnection connection = new SseConnection(ctx.response(), Vertx.currentContext(), false, typed, -1, filter,
                checkpointRecords);
        connection.open(heartbeatMillis, retryMillis);
        store.subscribeStreamViews(stream, from, readers).subscribe().withSubscriber(connection);
    }

    void all(RoutingContext ctx) {
        try {
            EventStore store = Http.store(storage);
            StorageStatus log = Http.storage(storage).status();
            long from = start(ctx);
            boolean typed = typed(ctx);
            io.strand.store.EventFilter filter = Filters.of(ctx);
            long skip = -1;
            String lastEventId = ctx.request().getHeader("Last-Event-ID");
            if (lastEventId != null) {
                from = Params.parse(lastEventId, "Last-Event-ID");
                skip = from;
            }
            long fromTime = lastEventId == null ? Params.fromTime(ctx) : -1;
            long begin = from;
            long skipPosition = skip;
            Context loop = Vertx.currentContext();
            // A position from the client must be a record boundary the index knows (event data may
            // hold a CRC-valid record): check it (it reads the log) on a read thread, so a bad one is
            // a 400 rather than an error frame after a 200.
            readers.execute(() -> {
                long start = begin;
                try {
                    if (fromTime >= 0) {
                        start = store.positionAt(fromTime); // a record boundary the log found
                    } else if (start != EventStore.END && start > log.firstPosition()) {
                        store.checkRecordBoundary(start);
                    }
                } catch (RuntimeException e) {
                    loop.runOnContext(v -> Http.problem(ctx, e));
                    return;
                }
                long at = start;
                loop.runOnContext(v -> {
                    if (ctx.response().closed()) {
                        return;
                    }
                    SseConnection connection = new SseConnection(ctx.response(), loop, true, typed, skipPosition, filter,
                            checkpointRecords);
                    connection.open(heartbeatMillis, retryMillis);
                    store.subscribeAllViews(at, readers).subscribe().withSubscriber(connection);
                });
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    /** {@code ?typed=true} names every frame by its event type ({@code event: <type>}); absent or false: no {@code event:} line. */
    static boolean typed(RoutingContext ctx) {
        String typed = ctx.request().getParam(TYPED);
        if (typed == null || typed.equals("false")) {
            return false;
        }
        if (typed.equals("true")) {
            return true;
        }
        throw Problem.badRequest("query parameter typed is true or false: " + EventParser.abbreviate(typed));
    }

    /** {@code ?from=}: a number, {@code end}, or absent (the beginning). */
    private static long start(RoutingContext ctx) {
        String from = ctx.request().getParam("from");
        if (from == null) {
            return 0;
        }
        if (from.equals("end")) {
            return EventStore.END;
        }
        return Params.parse(from, "query parameter from");
    }
}
