package io.strand.http;

import io.netty.buffer.Unpooled;
import io.strand.ops.DiskSpace;
import io.strand.ops.StorageLifecycle;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.InvalidRequestException;
import io.strand.store.StreamChange;
import io.strand.store.StreamMetadata;
import io.strand.store.StreamMetadataView;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.concurrent.Executor;

/**
 * {@code DELETE /streams/{stream}} (soft, or {@code ?hard=true}: a tombstone) and
 * {@code PUT}/{@code GET /streams/{stream}/metadata}. Changes go through the writer (the log, or
 * the Raft log in a cluster) and are answered 204 once flushed.
 */
final class LifecycleHandler {
    static final String HARD = "hard";
    private static final Set<String> SETTINGS = Set.of("maxCount", "maxAge", "truncateBefore", "custom");
    private final StorageLifecycle storage;
    private final DiskSpace disk;
    private final Executor readers;

    LifecycleHandler(StorageLifecycle storage, DiskSpace disk, Executor readers) {
        this.storage = storage;
        this.disk = disk;
        this.readers = readers;
    }

    void delete(RoutingContext ctx) {
        try {
            String stream = ctx.pathParam("stream");
            AppendHandler.checkName(stream);
            String hard = ctx.request().getParam(HARD);
            if (hard != null && !hard.equals("true") && !hard.equals("false")) {
                throw Problem.badRequest("query parameter hard is true or false: " + EventParser.abbreviate(hard));
            }
            change(ctx, stream, "true".equals(hard) ? StreamChange.tombstone() : StreamChange.delete(),
                    AppendHandler.expectedVersion(ctx));
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void put(RoutingContext ctx) {
        try {
            String stream = ctx.pathParam("stream");
            AppendHandler.checkName(stream);
            if (!Params.contentType(ctx).equals(Http.JSON)) {
                throw Problem.unsupportedType("stream metadata is application/json: "
                        + "{\"maxCount\": n, \"maxAge\": seconds, \"truncateBefore\": version, \"custom\": {...}}");
            }
            change(ctx, stream, StreamChange.set(settings(ctx)), ExpectedVersion.ANY);
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void get(RoutingContext ctx) {
        try {
            String stream = ctx.pathParam("stream");
            AppendHandler.checkName(stream);
            EventStore store = Http.store(storage);
            Http.offLoop(ctx, readers, () -> { // maxAge's first visible version is found in the log
                StreamMetadataView view = store.metadata(stream);
                return new Http.Reply(200, Http.JSON, Unpooled.wrappedBuffer(json(view).toBuffer().getBytes()), null);
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    private void change(RoutingContext ctx, String stream, StreamChange change, long expectedVersion) {
        io.strand.store.EventWriter writer = Http.writer(storage);
        Http.checkWritable(storage, disk);
        Http.answer(ctx, writer.changeStream(stream, change, expectedVersion), x -> ctx.response().setStatusCode(204).end());
    }

    /** The body of a PUT: each setting optional, nothing else. */
    private static StreamMetadata settings(RoutingContext ctx) {
        JsonObject body;
        try {
            body = ctx.body().buffer() == null ? null : ctx.body().asJsonObject();
        } catch (DecodeException | ClassCastException e) {
            throw Problem.badRequest("malformed JSON: expected an object with maxCount, maxAge, truncateBefore or custom");
        }
        if (body == null) {
            throw Problem.badRequest("the body must be a JSON object with maxCount, maxAge, truncateBefore or custom");
        }
        for (String name : body.fieldNames()) {
            if (!SETTINGS.contains(name)) {
                throw Problem.badRequest("unknown metadata field " + EventParser.abbreviate(name)
                        + "; stream metadata has maxCount, maxAge, truncateBefore and custom");
            }
        }
        Object custom = body.getValue("custom");
        if (custom != null && !(custom instanceof JsonObject)) {
            throw Problem.badRequest("custom is a JSON object");
        }
        try {
            return StreamMetadata.settings(number(body, "maxCount"), number(body, "maxAge"),
                    number(body, "truncateBefore"), custom == null ? null : ((JsonObject) custom).encode());
        } catch (InvalidRequestException e) {
            throw Problem.badRequest(e.getMessage());
        }
    }

    private static Long number(JsonObject body, String name) {
        Object v = body.getValue(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n) || n.longValue() != n.doubleValue()) {
            throw Problem.badRequest(name + " is a whole number: " + EventParser.abbreviate(String.valueOf(v)));
        }
        return n.longValue();
    }

    private static JsonObject json(StreamMetadataView view) {
        StreamMetadata m = view.metadata();
        JsonObject out = new JsonObject().put("stream", view.stream())
                .put("maxCount", m.maxCount()).put("maxAge", m.maxAge()).put("truncateBefore", m.truncateBefore())
                .put("custom", m.custom() == null ? null : new JsonObject(m.custom()));
        if (view.info() != null) {
            out.put("firstVisibleVersion", view.info().firstVersion()).put("lastVersion", view.info().lastVersion());
        } else {
            out.put("firstVisibleVersion", null).put("lastVersion", null);
        }
        return out.put("deleted", m.deletedBefore() >= 0 && view.info() == null);
    }
}
