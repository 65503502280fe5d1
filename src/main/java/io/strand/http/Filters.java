package io.strand.http;

import io.strand.store.EventFilter;
import io.vertx.ext.web.RoutingContext;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The server-side filters of a read: {@code type=} (repeatable) and, on {@code $all},
 * {@code streamPrefix=} (repeatable); OR within one, AND across the two ({@link EventFilter}).
 */
final class Filters {
    static final String TYPE = "type";
    static final String STREAM_PREFIX = "streamPrefix";

    private Filters() {
    }

    static EventFilter of(RoutingContext ctx) {
        return EventFilter.of(values(ctx, TYPE), values(ctx, STREAM_PREFIX));
    }

    private static List<String> values(RoutingContext ctx, String name) {
        List<String> values = ctx.queryParam(name);
        for (String v : values) {
            if (v.isEmpty()) {
                throw Problem.badRequest("query parameter " + name + " must not be empty").with("parameter", name);
            }
        }
        return values;
    }

    /** The filter's own query parameters, {@code &type=...&streamPrefix=...}, for the next page's link. */
    static String query(RoutingContext ctx) {
        StringBuilder q = new StringBuilder();
        for (String name : List.of(TYPE, STREAM_PREFIX)) {
            for (String v : ctx.queryParam(name)) {
                q.append('&').append(name).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        }
        return q.toString();
    }
}
