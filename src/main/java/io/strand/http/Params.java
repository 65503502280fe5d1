package io.strand.http;

import io.vertx.ext.web.RoutingContext;

/** Query parameters and headers, parsed strictly: anything malformed is a 400, never a default. */
final class Params {
    static final int DEFAULT_PAGE = 100;

    private Params() {
    }

    /** A non-negative number, or {@code dflt} when absent. */
    static long number(RoutingContext ctx, String name, long dflt) {
        String v = ctx.request().getParam(name);
        if (v == null) {
            return dflt;
        }
        return parse(v, "query parameter " + name);
    }

    static long parse(String v, String what) {
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw Problem.badRequest(what + " must be a non-negative integer: " + EventParser.abbreviate(v));
    }

    /** {@code limit}: 100 by default, at least 1, capped at {@code max}. */
    static int limit(RoutingContext ctx, int max) {
        long n = number(ctx, "limit", DEFAULT_PAGE);
        if (n < 1) {
            throw Problem.badRequest("query parameter limit must be at least 1");
        }
        return (int) Math.min(n, max);
    }

    /** The first of the supported media types the request accepts, in our order of preference. */
    static String accept(RoutingContext ctx, String... supported) {
        String accept = ctx.request().getHeader("Accept");
        if (accept == null) {
            return supported[supported.length - 1];
        }
        for (String type : supported) {
            if (accept.contains(type)) {
                return type;
            }
        }
        return supported[supported.length - 1];
    }

    /** The request's media type without parameters, lower case, or "" when absent. */
    static String contentType(RoutingContext ctx) {
        String ct = ctx.request().getHeader("Content-Type");
        if (ct == null) {
            return "";
        }
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(java.util.Locale.ROOT);
    }
}
