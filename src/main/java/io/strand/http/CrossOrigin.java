package io.strand.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CORS for browser pages on other origins ({@code strand.http.cors.origins}), ahead of every route.
 * A request without {@code Origin}, or from the server's own origin, passes untouched. From an
 * allowed origin, a preflight ({@code OPTIONS} with {@code Access-Control-Request-Method}) is answered
 * here with 204, and any other request goes on with the origin echoed and the headers a script must
 * read exposed ({@code Location}, {@code Strand-Next}, {@code Retry-After}...). From any other origin
 * the request is refused with a 403 problem before it reaches a route, preflight or not: a simple
 * request (an EventSource, a form post) would otherwise run, with only its answer hidden.
 *
 * <p>No {@code Access-Control-Allow-Credentials}: Strand takes bearer tokens, not cookies, so a
 * page sends its token itself and a browser never attaches one on its own.
 */
final class CrossOrigin implements Handler<RoutingContext> {
    static final String METHODS = "GET, HEAD, POST, PUT, DELETE";
    static final String REQUEST_HEADERS = "Authorization, Content-Type, Accept, Expected-Version, Durability, Event-Id, "
            + "Event-Type, Last-Event-ID, Strand-Min-Position, Consistency";
    static final String EXPOSED_HEADERS = "Location, Strand-Next, Retry-After, Content-Length, Link, Allow, WWW-Authenticate";
    private static final String MAX_AGE_SECONDS = "600";

    private final Set<String> origins;
    private final boolean any;

    /** @param origins allowed origins ({@code *}: any); empty: same origin only */
    CrossOrigin(List<String> origins) {
        this.origins = origins.stream().map(CrossOrigin::normalize).collect(Collectors.toUnmodifiableSet());
        this.any = this.origins.contains("*");
    }

    private static String normalize(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }

    /** Whether a page of {@code origin} may call the API. */
    boolean allows(String origin) {
        return any || origins.contains(normalize(origin));
    }

    /** Whether {@code origin} is the server's own, as the request reached it (scheme and Host). */
    static boolean sameOrigin(HttpServerRequest request, String origin) {
        String host = request.getHeader("Host");
        return host != null && normalize(origin).equals(request.scheme() + "://" + host.toLowerCase(Locale.ROOT));
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String origin = request.getHeader("Origin");
        if (origin == null || sameOrigin(request, origin)) {
            ctx.next();
            return;
        }
        if (!allows(origin)) {
            Http.problem(ctx, new Problem(403, "origin-not-allowed", "Origin not allowed",
                    "pages of origin " + EventParser.abbreviate(origin) + " may not call this server; list the origin in "
                            + "strand.http.cors.origins to allow it").with("origin", EventParser.abbreviate(origin)));
            return;
        }
        var headers = ctx.response().headers();
        headers.set("Access-Control-Allow-Origin", origin).add("Vary", "Origin");
        if (request.method() == HttpMethod.OPTIONS && request.getHeader("Access-Control-Request-Method") != null) {
            headers.set("Access-Control-Allow-Methods", METHODS)
                    .set("Access-Control-Allow-Headers", REQUEST_HEADERS)
                    .set("Access-Control-Max-Age", MAX_AGE_SECONDS);
            ctx.response().setStatusCode(204).end();
            return;
        }
        headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        ctx.next();
    }
}
