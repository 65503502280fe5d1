package io.strand.http;

import io.strand.ops.StorageLifecycle;
import io.strand.store.InvalidRequestException;
import io.strand.store.StreamNames;
import io.strand.store.groups.GroupSettings;
import io.strand.store.groups.GroupStatus;
import io.strand.store.groups.NackAction;
import io.strand.store.groups.SharedGroups;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Shared groups (persistent subscriptions): {@code PUT}, {@code GET}, {@code DELETE /groups/{g}},
 * {@code GET /groups}, consumers on {@code GET /groups/{g}/events} (SSE), {@code POST .../ack} and
 * {@code .../nack}, the parked events ({@code GET .../parked}, {@code POST .../parked/replay}).
 */
final class SharedGroupHandler {
    private static final Set<String> SETTINGS = Set.of("stream", "filter", "from", "ackTimeout", "maxDeliveries",
            "maxInFlight", "strategy");
    private final StorageLifecycle storage;
    private final long heartbeatMillis;
    private final long retryMillis;
    private final int maxPage;

    SharedGroupHandler(StorageLifecycle storage, long heartbeatMillis, long retryMillis, int maxPage) {
        this.storage = storage;
        this.heartbeatMillis = heartbeatMillis;
        this.retryMillis = retryMillis;
        this.maxPage = maxPage;
    }

    void put(RoutingContext ctx) {
        try {
            String group = name(ctx);
            if (!Params.contentType(ctx).equals(Http.JSON)) {
                throw Problem.unsupportedType("a group's settings are application/json: {\"stream\": \"orders-1\", ...}");
            }
            GroupSettings settings = settings(ctx);
            TokenFile.Caller caller = AccessControl.caller(ctx);
            if (caller != null && !caller.permissions().canRead(settings.stream())) {
                throw new Problem(403, "forbidden", "Forbidden", "token " + caller.name() + " may not read "
                        + EventParser.abbreviate(settings.stream()) + ", the group's source");
            }
            Http.answer(ctx, groups().put(group, settings), created -> {
                if (created) {
                    ctx.response().setStatusCode(201).putHeader("Location", "/groups/" + group).end();
                } else {
                    ctx.response().setStatusCode(204).end();
                }
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void get(RoutingContext ctx) {
        try {
            Http.answer(ctx, groups().status(name(ctx)), s -> json(ctx, status(s)));
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void list(RoutingContext ctx) {
        try {
            Http.answer(ctx, groups().list(), all -> {
                JsonArray out = new JsonArray();
                all.forEach(s -> out.add(status(s)));
                json(ctx, new JsonObject().put("groups", out));
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void delete(RoutingContext ctx) {
        try {
            Http.answer(ctx, groups().delete(name(ctx)), x -> ctx.response().setStatusCode(204).end());
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void events(RoutingContext ctx) {
        try {
            String group = name(ctx);
            if (!Params.acceptsExactly(ctx, Http.EVENT_STREAM)) {
                throw new Problem(406, "not-acceptable", "Not acceptable",
                        "a group's consumers attach with Accept: text/event-stream");
            }
            SharedGroups groups = groups();
            Context loop = Vertx.currentContext();
            // Known group first: an unknown one is a 404, not an empty stream.
            groups.status(group).whenComplete((s, e) -> loop.runOnContext(v -> {
                if (e != null) {
                    Http.problem(ctx, e);
                    return;
                }
                if (ctx.response().closed()) {
                    return;
                }
                GroupSseConsumer consumer = new GroupSseConsumer(group, ctx.response(), loop, groups);
                consumer.open(heartbeatMillis, retryMillis);
                groups.attach(group, consumer).whenComplete((m, f) -> loop.runOnContext(x -> {
                    if (f != null) {
                        consumer.end(Problem.of(f).getMessage());
                    } else {
                        consumer.attached(m);
                    }
                }));
            }));
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void ack(RoutingContext ctx) {
        try {
            String group = name(ctx);
            JsonObject body = body(ctx, "{\"ids\": [\"<event id>\", ...]}");
            only(body, Set.of("ids"));
            Http.answer(ctx, groups().ack(group, ids(body)), x -> ctx.response().setStatusCode(204).end());
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void nack(RoutingContext ctx) {
        try {
            String group = name(ctx);
            JsonObject body = body(ctx, "{\"ids\": [\"<event id>\", ...], \"action\": \"retry\"|\"park\"|\"skip\"}");
            only(body, Set.of("ids", "action"));
            NackAction action = body.getValue("action") instanceof String a ? NackAction.parse(a) : NackAction.RETRY;
            if (body.containsKey("action") && !(body.getValue("action") instanceof String)) {
                throw Problem.badRequest("action is retry, park or skip");
            }
            Http.answer(ctx, groups().nack(group, ids(body), action), x -> ctx.response().setStatusCode(204).end());
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void parked(RoutingContext ctx) {
        try {
            String group = name(ctx);
            long from = ctx.request().getParam("from") == null ? 0 : Params.parse(ctx.request().getParam("from"), "query parameter from");
            int limit = ctx.request().getParam("limit") == null ? 100 : (int) Params.parse(ctx.request().getParam("limit"), "query parameter limit");
            if (limit < 1 || limit > maxPage) {
                throw Problem.badRequest("limit is 1 to " + maxPage + ": " + limit);
            }
            Http.answer(ctx, groups().parked(group, from, limit), page -> {
                io.netty.buffer.ByteBuf out = io.netty.buffer.Unpooled.buffer();
                EventJson.ascii(out, "{\"events\":[");
                for (int i = 0; i < page.events().size(); i++) {
                    if (i > 0) {
                        out.writeByte(',');
                    }
                    GroupSseConsumer.writeEvent(out, page.events().get(i));
                    out.writeByte('}');
                }
                EventJson.ascii(out, "],\"next\":" + (page.next() < 0 ? "null" : Long.toString(page.next())) + "}");
                ctx.response().putHeader("Content-Type", Http.JSON).end(io.vertx.core.buffer.Buffer.buffer(out));
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    void replay(RoutingContext ctx) {
        try {
            Http.answer(ctx, groups().replayParked(name(ctx)), x -> ctx.response().setStatusCode(204).end());
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** This node's groups; {@link LeaderForward} ran first, so in a cluster this node leads (or just stopped). */
    private SharedGroups groups() {
        SharedGroups g = storage.sharedGroupsOrNull();
        if (g == null) {
            Http.store(storage); // 503 while starting
            throw Problem.unavailable(storage.clustered() ? "this node no longer runs the shared groups (a new leader"
                    + " does); retry" : "shared groups are not open yet", 1);
        }
        return g;
    }

    private static void json(RoutingContext ctx, JsonObject body) {
        ctx.response().putHeader("Content-Type", Http.JSON).end(body.toBuffer());
    }

    private static String name(RoutingContext ctx) {
        String name = ctx.pathParam("group");
        if (!StreamNames.isValid(name)) {
            throw Problem.badRequest("group names are 1-" + StreamNames.MAX_LENGTH
                    + " characters of letters, digits and -_.:@: " + EventParser.abbreviate(String.valueOf(name)));
        }
        return name;
    }

    private static JsonObject body(RoutingContext ctx, String shape) {
        if (!Params.contentType(ctx).equals(Http.JSON)) {
            throw Problem.unsupportedType("the body is application/json: " + shape);
        }
        try {
            JsonObject body = ctx.body().buffer() == null ? null : ctx.body().asJsonObject();
            if (body == null) {
                throw Problem.badRequest("the body must be " + shape);
            }
            return body;
        } catch (DecodeException | ClassCastException e) {
            throw Problem.badRequest("malformed JSON: expected " + shape);
        }
    }

    private static void only(JsonObject body, Set<String> fields) {
        for (String f : body.fieldNames()) {
            if (!fields.contains(f)) {
                throw Problem.badRequest("unknown field " + EventParser.abbreviate(f) + "; this body takes " + String.join(", ", fields));
            }
        }
    }

    private static List<UUID> ids(JsonObject body) {
        if (!(body.getValue("ids") instanceof JsonArray a) || a.isEmpty() || a.size() > 10_000) {
            throw Problem.badRequest("ids is a non-empty array of event ids (at most 10000)");
        }
        List<UUID> ids = new ArrayList<>(a.size());
        for (Object o : a) {
            if (!(o instanceof String s)) {
                throw Problem.badRequest("ids holds event ids (UUID strings)");
            }
            ids.add(EventParser.uuid(s, "an id"));
        }
        return ids;
    }

    private static GroupSettings settings(RoutingContext ctx) {
        JsonObject b = body(ctx, "{\"stream\": \"orders-1\"} or {\"stream\": \"$all\", \"filter\": {...}}");
        only(b, SETTINGS);
        if (!(b.getValue("stream") instanceof String stream) || !(stream.equals(GroupSettings.ALL) || StreamNames.isValid(stream))) {
            throw Problem.badRequest("stream is a stream name or $all");
        }
        List<String> types = List.of();
        List<String> prefixes = List.of();
        if (b.getValue("filter") != null) {
            if (!(b.getValue("filter") instanceof JsonObject f)) {
                throw Problem.badRequest("filter is an object: {\"type\": [...], \"streamPrefix\": [...]}");
            }
            only(f, Set.of("type", "streamPrefix"));
            types = strings(f, "type");
            prefixes = strings(f, "streamPrefix");
        }
        Object from = b.getValue("from");
        long start;
        if (from == null || "start".equals(from)) {
            start = GroupSettings.START;
        } else if ("end".equals(from)) {
            start = GroupSettings.END;
        } else if (from instanceof Number n && n.longValue() == n.doubleValue() && n.longValue() >= 0) {
            start = n.longValue();
        } else {
            throw Problem.badRequest("from is \"start\", \"end\", or a version (a position for $all), 0 or more");
        }
        String strategy = b.getValue("strategy") == null ? "round-robin" : String.valueOf(b.getValue("strategy"));
        try {
            return new GroupSettings(stream, types, prefixes, start,
                    integer(b, "ackTimeout", GroupSettings.DEFAULT_ACK_TIMEOUT),
                    integer(b, "maxDeliveries", GroupSettings.DEFAULT_MAX_DELIVERIES),
                    integer(b, "maxInFlight", GroupSettings.DEFAULT_MAX_IN_FLIGHT), GroupSettings.Strategy.parse(strategy));
        } catch (InvalidRequestException e) {
            throw Problem.badRequest(e.getMessage());
        }
    }

    private static List<String> strings(JsonObject o, String name) {
        Object v = o.getValue(name);
        if (v == null) {
            return List.of();
        }
        if (v instanceof String s) {
            return List.of(s);
        }
        if (!(v instanceof JsonArray a)) {
            throw Problem.badRequest("filter." + name + " is a string or an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (Object x : a) {
            if (!(x instanceof String s) || s.isEmpty()) {
                throw Problem.badRequest("filter." + name + " holds non-empty strings");
            }
            out.add(s);
        }
        return out;
    }

    private static int integer(JsonObject b, String name, int otherwise) {
        Object v = b.getValue(name);
        if (v == null) {
            return otherwise;
        }
        if (!(v instanceof Number n) || n.longValue() != n.doubleValue() || n.longValue() > Integer.MAX_VALUE
                || n.longValue() < Integer.MIN_VALUE) {
            throw Problem.badRequest(name + " is a whole number");
        }
        return n.intValue();
    }

    private static JsonObject status(GroupStatus s) {
        GroupSettings g = s.settings();
        return new JsonObject().put("name", s.name()).put("stream", g.stream())
                .put("filter", new JsonObject().put("type", new JsonArray(g.types())).put("streamPrefix", new JsonArray(g.streamPrefixes())))
                .put("from", g.from()).put("ackTimeout", g.ackTimeoutSeconds()).put("maxDeliveries", g.maxDeliveries())
                .put("maxInFlight", g.maxInFlight()).put("strategy", g.strategy().text())
                .put("consumers", s.consumers()).put("inFlight", s.inFlight()).put("parked", s.parked()).put("lag", s.lag())
                .put("delivered", s.delivered()).put("acked", s.acked()).put("redeliveries", s.redeliveries());
    }
}
