package io.strand.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;

/**
 * Query parameters and headers, parsed strictly: anything malformed is a 400, never a default, and
 * so is a query parameter the route does not take ({@link #only}).
 */
final class Params {
    static final int DEFAULT_PAGE = 100;

    private Params() {
    }

    /**
     * The handler, ahead of a route's own, for a route that takes the query parameters
     * {@code allowed} (none when empty): any other name in the query is answered 400
     * {@code bad-request} naming it (member {@code parameter}) before the store is asked, so a
     * misspelt or not-yet-supported parameter ({@code /all?type=X}) can never look like a filter
     * that was applied, and a refused append writes nothing. Otherwise the request goes on to the
     * route's next handler. Vert.x runs a route's body handler first, so on routes with a body a
     * body over its limit is a 413 before this check.
     */
    static Handler<RoutingContext> only(String... allowed) {
        Set<String> names = Set.of(allowed);
        String takes = allowed.length == 0 ? "no query parameters" : "only " + String.join(", ", List.of(allowed));
        return ctx -> {
            boolean get = ctx.request().method() == io.vertx.core.http.HttpMethod.GET
                    || ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD;
            for (String name : ctx.queryParams().names()) {
                // Every GET takes a bearer token as access_token (AccessControl has read it already).
                if (!names.contains(name) && !(get && name.equals(AccessControl.ACCESS_TOKEN))) {
                    Http.problem(ctx, Problem.badRequest("unknown query parameter " + EventParser.abbreviate(name)
                            + "; " + EventParser.abbreviate(ctx.request().path()) + " takes " + takes)
                            .with("parameter", EventParser.abbreviate(name)));
                    return;
                }
            }
            ctx.next();
        };
    }

    static final String FROM_TIME = "fromTime";

    /**
     * {@code ?fromTime=}: an RFC 3339 instant ({@code 2026-12-07T10:00:00Z}, any offset, fractions
     * of a second) as epoch milliseconds, or -1 when absent. With {@code from} too it is a 400: one
     * start, not two.
     */
    static long fromTime(RoutingContext ctx) {
        String v = ctx.request().getParam(FROM_TIME);
        if (v == null) {
            return -1;
        }
        if (ctx.request().getParam("from") != null) {
            throw Problem.badRequest("give from or fromTime, not both").with("parameter", FROM_TIME);
        }
        try {
            long millis = java.time.OffsetDateTime.parse(v).toInstant().toEpochMilli();
            if (millis < 0) {
                throw Problem.badRequest("fromTime before 1970 holds no event: " + EventParser.abbreviate(v)).with("parameter", FROM_TIME);
            }
            return millis;
        } catch (java.time.format.DateTimeParseException | ArithmeticException e) {
            throw Problem.badRequest("query parameter fromTime is an RFC 3339 instant such as 2026-12-07T10:00:00Z: "
                    + EventParser.abbreviate(v)).with("parameter", FROM_TIME);
        }
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

    /**
     * The supported media type the request's {@code Accept} prefers (RFC 9110 12.5.1): highest
     * {@code q}, then the most specific range, then the client's order. Absent, wildcard-only or
     * nothing acceptable: the default, which is the last of {@code supported}.
     */
    static String accept(RoutingContext ctx, String... supported) {
        String dflt = supported[supported.length - 1];
        String accept = ctx.request().getHeader("Accept");
        if (accept == null) {
            return dflt;
        }
        String[] ranges = accept.split(",");
        String best = dflt;
        double bestQ = 0;
        int bestSpecific = -1;
        int bestIndex = Integer.MAX_VALUE;
        for (String type : supported) {
            for (int i = 0; i < ranges.length; i++) {
                String[] parts = ranges[i].split(";");
                String range = parts[0].trim().toLowerCase(java.util.Locale.ROOT);
                int specific = range.equals(type) ? 2
                        : range.equals(type.substring(0, type.indexOf('/') + 1) + "*") ? 1
                        : range.equals("*/*") ? 0 : -1;
                if (specific < 0) {
                    continue;
                }
                double q = quality(parts);
                boolean better = q > bestQ
                        || (q == bestQ && specific > bestSpecific)
                        || (q == bestQ && specific == bestSpecific && specific == 2 && i < bestIndex)
                        || (q == bestQ && specific == bestSpecific && specific < 2 && type.equals(dflt));
                if (q > 0 && better) {
                    best = type;
                    bestQ = q;
                    bestSpecific = specific;
                    bestIndex = i;
                }
            }
        }
        return best;
    }

    /** Whether {@code Accept} names {@code type} itself with a non-zero quality. */
    static boolean acceptsExactly(RoutingContext ctx, String type) {
        String accept = ctx.request().getHeader("Accept");
        if (accept == null) {
            return false;
        }
        for (String r : accept.split(",")) {
            String[] parts = r.split(";");
            if (parts[0].trim().equalsIgnoreCase(type) && quality(parts) > 0) {
                return true;
            }
        }
        return false;
    }

    private static double quality(String[] parts) {
        for (int j = 1; j < parts.length; j++) {
            String p = parts[j].trim();
            if (p.length() > 2 && (p.charAt(0) == 'q' || p.charAt(0) == 'Q') && p.charAt(1) == '=') {
                try {
                    double q = Double.parseDouble(p.substring(2).trim());
                    return q >= 0 && q <= 1 ? q : 1;
                } catch (NumberFormatException e) {
                    return 1;
                }
            }
        }
        return 1;
    }

    /** The {@code charset} parameter of the request's media type, lower case, or null when absent. */
    static String charset(RoutingContext ctx) {
        String ct = ctx.request().getHeader("Content-Type");
        if (ct == null) {
            return null;
        }
        for (String param : ct.split(";")) {
            int eq = param.indexOf('=');
            if (eq > 0 && param.substring(0, eq).trim().equalsIgnoreCase("charset")) {
                return param.substring(eq + 1).trim().replace("\"", "").toLowerCase(java.util.Locale.ROOT);
            }
        }
        return null;
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
