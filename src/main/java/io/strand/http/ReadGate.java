package io.strand.http;

import io.strand.ops.StorageLifecycle;
import io.strand.store.EventWriter;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Holds a read until this node may serve it, when the client asks:
 * {@code Strand-Min-Position: p} (or {@code minPosition=p}) waits, at most {@code strand.cluster.read-wait},
 * until this node has applied the log up to and including the record at position p (a client's own
 * write, seen on another node), else 503; {@code Consistency: linearizable} (or
 * {@code consistency=linearizable}) first confirms with the Raft leader and a majority what was
 * committed, and waits to apply that far (ReadIndex), else 503 within the append timeout. A single
 * node is linearizable as it is, and still honours the minimum position. Reads that ask for neither
 * pass straight through. The wait never blocks the event loop.
 */
final class ReadGate implements Handler<RoutingContext> {
    static final String MIN_POSITION_HEADER = "Strand-Min-Position";
    static final String CONSISTENCY_HEADER = "Consistency";
    static final String MIN_POSITION_PARAM = "minPosition";
    static final String CONSISTENCY_PARAM = "consistency";

    private final StorageLifecycle storage;
    private final long waitMillis;

    ReadGate(StorageLifecycle storage, long waitMillis) {
        this.storage = storage;
        this.waitMillis = waitMillis;
    }

    @Override
    public void handle(RoutingContext ctx) {
        long min;
        boolean linearizable;
        EventWriter writer;
        try {
            min = minPosition(ctx);
            linearizable = linearizable(ctx);
            if (min < 0 && !linearizable) {
                ctx.next();
                return;
            }
            writer = Http.writer(storage);
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
            return;
        }
        CompletionStage<Void> ready = linearizable ? writer.linearizable() : CompletableFuture.completedFuture(null);
        if (min >= 0) {
            ready = ready.thenCompose(x -> writer.awaitPosition(min).toCompletableFuture()
                    .orTimeout(waitMillis, TimeUnit.MILLISECONDS)
                    .exceptionally(e -> {
                        throw Problem.unavailable("this node has not applied the record at position " + min
                                + " within strand.cluster.read-wait (" + waitMillis + " ms); its log ends at "
                                + Http.store(storage).replica().committedPosition() + "; retry, or read from another node", 1);
                    }));
        }
        Context loop = Vertx.currentContext();
        ready.whenComplete((x, e) -> loop.runOnContext(v -> {
            if (e != null) {
                Http.problem(ctx, e);
            } else if (!ctx.response().closed()) {
                ctx.next();
            }
        }));
    }

    private static long minPosition(RoutingContext ctx) {
        String v = ctx.request().getHeader(MIN_POSITION_HEADER);
        String from = MIN_POSITION_HEADER;
        if (v == null) {
            v = ctx.request().getParam(MIN_POSITION_PARAM);
            from = MIN_POSITION_PARAM;
        }
        if (v == null) {
            return -1;
        }
        try {
            long p = Long.parseLong(v.trim());
            if (p >= 0) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw Problem.badRequest(from + " is a log position (a number, 0 or more): " + EventParser.abbreviate(v));
    }

    private static boolean linearizable(RoutingContext ctx) {
        String v = ctx.request().getHeader(CONSISTENCY_HEADER);
        String from = CONSISTENCY_HEADER;
        if (v == null) {
            v = ctx.request().getParam(CONSISTENCY_PARAM);
            from = CONSISTENCY_PARAM;
        }
        if (v == null) {
            return false;
        }
        if (v.trim().equalsIgnoreCase("linearizable")) {
            return true;
        }
        throw Problem.badRequest(from + " may only be linearizable: " + EventParser.abbreviate(v));
    }
}
