package io.strand.http;

import io.strand.ops.DiskSpace;
import io.strand.ops.StorageLifecycle;
import io.strand.store.EventStore;
import io.strand.store.StreamNames;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.OptionalLong;

/** {@code PUT}/{@code GET /groups/{group}/streams/{stream}}: a consumer group's committed version. */
final class GroupHandler {
    private final StorageLifecycle storage;
    private final DiskSpace disk;

    GroupHandler(StorageLifecycle storage, DiskSpace disk) {
        this.storage = storage;
        this.disk = disk;
    }

    void put(RoutingContext ctx) {
        try {
            String group = name(ctx, "group");
            String stream = name(ctx, "stream");
            io.strand.store.EventWriter store = Http.writer(storage);
            if (!Params.contentType(ctx).equals(Http.JSON)) {
                throw Problem.unsupportedType("a group commit is application/json: {\"version\": n}");
            }
            long version = version(ctx);
            Http.checkWritable(storage, disk);
            // The stream must exist and hold the version (moving back is a reset, allowed). Memory
            // only, unless the stream's metadata has a maxAge (its first visible version is searched).
            io.strand.store.StreamInfo info = Http.store(storage).streamInfo(stream);
            if (version > info.lastVersion()) {
                throw Problem.badRequest("stream " + stream + " has no version " + version + "; its last is " + info.lastVersion());
            }
            Http.answer(ctx, store.commitGroup(group, stream, version), x -> ctx.response().setStatusCode(204).end());
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void get(RoutingContext ctx) {
        try {
            String group = name(ctx, "group");
            String stream = name(ctx, "stream");
            OptionalLong version = Http.store(storage).groupVersion(group, stream);
            if (version.isEmpty()) {
                throw Problem.notFound("group " + group + " has committed no version of stream " + stream);
            }
            ctx.response().putHeader("Content-Type", Http.JSON).end(new JsonObject().put("group", group)
                    .put("stream", stream).put("version", version.getAsLong()).toBuffer());
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    private static String name(RoutingContext ctx, String param) {
        String name = ctx.pathParam(param);
        if (!StreamNames.isValid(name)) {
            throw Problem.badRequest(param + " names are 1-" + StreamNames.MAX_LENGTH
                    + " characters of letters, digits and -_.:@: " + EventParser.abbreviate(String.valueOf(name)));
        }
        return name;
    }

    private static long version(RoutingContext ctx) {
        JsonObject body;
        try {
            body = ctx.body().buffer() == null ? null : ctx.body().asJsonObject();
        } catch (DecodeException | ClassCastException e) {
            throw Problem.badRequest("malformed JSON: expected {\"version\": n}");
        }
        Object v = body == null ? null : body.getValue("version");
        if (!(v instanceof Number n) || n.longValue() != n.doubleValue() || n.longValue() < -1) {
            throw Problem.badRequest("the body must be {\"version\": n} with n a version number (or -1: nothing consumed)");
        }
        return n.longValue();
    }
}
