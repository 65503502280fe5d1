package io.strand.http;

import io.netty.buffer.Unpooled;
import io.strand.ops.StorageLifecycle;
import io.strand.store.EventStore;
import io.strand.store.FileRange;
import io.strand.store.MappedBytes;
import io.strand.store.PositionGoneException;
import io.strand.store.RawLog;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.Executor;

/**
 * {@code GET /log?from=&maxBytes=}: raw log bytes, whole records from a record boundary within one
 * segment, for backup and replication tools. Sent with sendfile (Netty's file region: the page
 * cache goes to the socket without entering user space); {@code via=mmap} sends the mapped bytes
 * through a write instead, which the benchmark compares. {@code Strand-Next} says where to go on.
 */
final class LogHandler {
    static final int DEFAULT_MAX_BYTES = 1 << 20;
    static final int MAX_MAX_BYTES = 64 << 20;

    private final StorageLifecycle storage;
    private final Executor readers;

    LogHandler(StorageLifecycle storage, Executor readers) {
        this.storage = storage;
        this.readers = readers;
    }

    void handle(RoutingContext ctx) {
        try {
            EventStore store = Http.store(storage);
            RawLog log = Http.storage(storage).rawLog();
            long from = Params.number(ctx, "from", 0);
            long start = from == 0 ? log.firstPosition() : from;
            long max = Params.number(ctx, "maxBytes", DEFAULT_MAX_BYTES);
            if (max < 1) {
                throw Problem.badRequest("query parameter maxBytes must be at least 1");
            }
            int maxBytes = (int) Math.min(max, MAX_MAX_BYTES);
            boolean mmap = "mmap".equals(ctx.request().getParam("via"));
            Context loop = Vertx.currentContext();
            readers.execute(() -> {
                try {
                    store.checkRecordBoundary(start); // not a record hidden in an event's data
                    FileRange range = log.range(start, maxBytes);
                    if (mmap && range.length() > 0) {
                        MappedBytes slice = log.read(range.position(), range.length());
                        ReadHandler.touch(slice.buffer());
                        loop.runOnContext(v -> new Http.Reply(200, Http.OCTETS, Unpooled.wrappedBuffer(slice.buffer()),
                                slice::close).header("Strand-Next", Long.toString(range.nextPosition())).send(ctx));
                    } else {
                        loop.runOnContext(v -> send(ctx, range));
                    }
                } catch (RuntimeException e) {
                    // below the first retained position (perhaps deleted while we looked): 410, not 400
                    RuntimeException answer = start < log.firstPosition()
                            ? new PositionGoneException("log position " + start + " was deleted by retention; the log starts at "
                                    + log.firstPosition(), log.firstPosition())
                            : e;
                    loop.runOnContext(v -> Http.problem(ctx, answer));
                }
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    private static void send(RoutingContext ctx, FileRange range) {
        ctx.response().putHeader("Content-Type", Http.OCTETS)
                .putHeader("Strand-Next", Long.toString(range.nextPosition()));
        if (range.length() == 0) {
            ctx.response().end();
        } else {
            ctx.response().sendFile(range.file().toString(), range.fileOffset(), range.length());
        }
    }
}
