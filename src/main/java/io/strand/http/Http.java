package io.strand.http;

import io.netty.buffer.ByteBuf;
import io.strand.ops.DiskSpace;
import io.strand.ops.StorageLifecycle;
import io.strand.store.EventStore;
import io.strand.store.Storage;
import io.strand.store.StorageStatus;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** Small helpers the handlers share: answering, problems, and hopping between threads. */
final class Http {
    static final String JSON = "application/json";
    static final String NDJSON = "application/x-ndjson";
    static final String OCTETS = "application/octet-stream";
    static final String EVENT_STREAM = "text/event-stream";

    private Http() {
    }

    /** The store, or a 503 problem while the application starts. */
    static EventStore store(StorageLifecycle storage) {
        EventStore store = storage.storeOrNull();
        if (store == null) {
            throw Problem.unavailable("the store is starting (recovering the log and index)", 2);
        }
        return store;
    }

    /** Where appends go (the store, or the Raft log), or a 503 problem while the application starts. */
    static io.strand.store.EventWriter writer(StorageLifecycle storage) {
        io.strand.store.EventWriter writer = storage.writerOrNull();
        if (writer == null) {
            throw Problem.unavailable("the store is starting (recovering the log and index)", 2);
        }
        return writer;
    }

    /** The storage under the store (raw log, status), or a 503 problem while the application starts. */
    static Storage storage(StorageLifecycle storage) {
        Storage s = storage.storageOrNull();
        if (s == null || storage.storeOrNull() == null) {
            throw Problem.unavailable("the store is starting (recovering the log and index)", 2);
        }
        return s;
    }

    /**
     * 507 while the volume is below its free-space floor or the log cannot create its next segment;
     * otherwise the storage's status (503 while starting).
     */
    static StorageStatus checkWritable(StorageLifecycle storage, DiskSpace disk) {
        StorageStatus status = storage(storage).status();
        if (disk.belowFloor()) {
            throw Problem.diskFull(disk.freeBytes(), disk.minFree());
        }
        java.io.IOException roll = status.rollFailure();
        if (roll != null) {
            throw new Problem(507, "insufficient-storage", "Insufficient storage",
                    "the log cannot create its next segment: " + roll.getMessage() + "; appends resume when space returns");
        }
        return status;
    }

    static void problem(RoutingContext ctx, Throwable t) {
        Problem p = Problem.of(t);
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        if (r.headWritten()) { // a streamed answer already started: all we can do is stop it
            r.reset();
            return;
        }
        r.setStatusCode(p.status).putHeader("Content-Type", Problem.CONTENT_TYPE);
        if (p.retryAfter > 0) {
            r.putHeader("Retry-After", Integer.toString(p.retryAfter));
        }
        io.vertx.core.buffer.Buffer body = p.toJson().toBuffer();
        if (ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD) {
            // As for a 200: no body, but the length GET's problem would have (OpenAPI's HeadProblem)
            r.putHeader("Content-Length", Integer.toString(body.length()));
            r.end();
            return;
        }
        r.end(body);
    }

    /**
     * Runs {@code work} on {@code executor} (reads fault pages in; never on the event loop) and
     * answers from the event loop: {@code work} returns the body and a release action, or throws.
     */
    static void offLoop(RoutingContext ctx, Executor executor, Supplier<Reply> work) {
        Context loop = Vertx.currentContext();
        try {
            executor.execute(() -> {
                Reply reply;
                try {
                    reply = work.get();
                } catch (Throwable t) {
                    loop.runOnContext(v -> problem(ctx, t));
                    return;
                }
                loop.runOnContext(v -> reply.send(ctx));
            });
        } catch (RuntimeException rejected) {
            problem(ctx, rejected);
        }
    }

    /**
     * Answers from the event loop once {@code stage} completes: its failure as a problem, else
     * {@code ok} (unless the client went away). Call on the event loop.
     */
    static <T> void answer(RoutingContext ctx, java.util.concurrent.CompletionStage<T> stage, java.util.function.Consumer<T> ok) {
        Context loop = Vertx.currentContext();
        stage.whenComplete((v, e) -> loop.runOnContext(x -> {
            if (e != null) {
                problem(ctx, e);
            } else if (!ctx.response().closed()) {
                ok.accept(v);
            }
        }));
    }

    /** A body built off the loop, with what to release once it has been written. */
    static final class Reply {
        final int status;
        final String contentType;
        final ByteBuf body;
        final Runnable release;
        final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();

        Reply(int status, String contentType, ByteBuf body, Runnable release) {
            this.status = status;
            this.contentType = contentType;
            this.body = body;
            this.release = release;
        }

        Reply header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        void send(RoutingContext ctx) {
            HttpServerResponse r = ctx.response();
            if (r.ended() || r.closed()) {
                done();
                return;
            }
            r.setStatusCode(status).putHeader("Content-Type", contentType);
            headers.forEach(r::putHeader);
            if (ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD) {
                // Vert.x sends no body for HEAD and then no length either: say what GET would send
                r.putHeader("Content-Length", Integer.toString(body.readableBytes()));
            }
            r.end(Buffer.buffer(body), ar -> done());
        }

        private void done() {
            try {
                body.release();
            } finally {
                if (release != null) {
                    release.run();
                }
            }
        }
    }
}
