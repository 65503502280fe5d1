package io.strand.http;

import io.netty.util.NetUtil;
import io.strand.http.TokenFile.Caller;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Who is calling, ahead of every route but the open ones (health, metrics and the rest of
 * {@code /q/}, the console's files): a bearer token from {@code Authorization: Bearer}, or from
 * {@code access_token=} on a GET (an EventSource cannot send headers; RFC 6750 2.3), looked up in
 * the {@link TokenFile}, verified as a JWT ({@link JwtVerifier}) or matched against the cluster
 * secret (peers copying {@code /log}).
 *
 * <p>Protected mode, as Redis's: with no credentials configured, a client on the loopback interface
 * may do everything and any other gets 401 saying how to configure access. With credentials
 * configured every caller needs a valid token, loopback included.
 *
 * <p>The per-route handlers ({@link #read}, {@link #write}, {@link #admin}) then check the caller's
 * {@link Permissions} against the stream the route names, before its query parameters and body are
 * looked at: 403 problem when it may not. Tokens are never logged, nor put in a problem.
 */
final class AccessControl implements Handler<RoutingContext> {
    static final String ACCESS_TOKEN = "access_token";
    private static final String CALLER = "strand.caller";
    private static final Caller LOOPBACK = new Caller("loopback", Permissions.ALL);
    private static final Caller PEER = new Caller("cluster-peer", Permissions.ALL);
    private static final String REALM = "Bearer realm=\"strand\"";

    private final TokenFile tokens;
    private final JwtVerifier jwt;
    private final String clusterSecretDigest;

    /**
     * @param tokens        the static tokens, or null when none are configured
     * @param jwt           the JWT verifier, or null when JWTs are not configured
     * @param clusterSecret the secret members of the Raft group present to each other, or null
     */
    AccessControl(TokenFile tokens, JwtVerifier jwt, String clusterSecret) {
        this.tokens = tokens;
        this.jwt = jwt;
        this.clusterSecretDigest = clusterSecret == null ? null : TokenFile.sha256(clusterSecret);
    }

    /** Whether clients are authenticated at all; without, only loopback clients are served. */
    boolean credentialsConfigured() {
        return tokens != null || jwt != null;
    }

    /** Paths served to anyone: probes, metrics, OpenAPI (Quarkus's {@code /q/}), the console's files. */
    static boolean open(String path) {
        return path.equals("/") || path.equals("/console") || path.startsWith("/console/") || path.startsWith("/q/")
                || path.equals("/favicon.ico");
    }

    /** Whether a remote host (an IP literal, as Vert.x reports it) is on the loopback interface. */
    static boolean loopback(String host) {
        byte[] ip = host == null ? null : NetUtil.createByteArrayFromIpAddressString(host);
        if (ip == null) {
            return false; // not an IP literal: a name is never resolved here
        }
        try {
            InetAddress a = InetAddress.getByAddress(ip);
            return a.isLoopbackAddress() || (ip.length == 16 && isMappedLoopback(ip));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** {@code ::ffff:127.x.y.z}: an IPv4 loopback client on a dual-stack socket. */
    private static boolean isMappedLoopback(byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return ip[10] == (byte) 0xff && ip[11] == (byte) 0xff && ip[12] == 127;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (open(ctx.normalizedPath())) {
            ctx.next();
            return;
        }
        String token;
        try {
            token = token(request);
        } catch (Problem p) {
            Http.problem(ctx, p);
            return;
        }
        Caller caller = token == null ? null : find(token);
        if (caller == null && !credentialsConfigured() && request.remoteAddress() != null
                && loopback(request.remoteAddress().host())) {
            caller = LOOPBACK;
        }
        if (caller != null) {
            ctx.put(CALLER, caller);
            ctx.next();
        } else if (!credentialsConfigured()) {
            unauthorized(ctx, REALM, "protected-mode", "Strand is in protected mode: no credentials are configured, so it "
                    + "serves only clients on the loopback interface. To serve others, give tokens in "
                    + "strand.auth.tokens-file (lines of 'name permissions secret') or strand.auth.jwt.public-key-location (docs/SECURITY.md)");
        } else if (token == null) {
            unauthorized(ctx, REALM, "unauthorized", "this request needs a bearer token: send 'Authorization: Bearer <token>' "
                    + "(or access_token=<token> on a GET, for EventSource)");
        } else {
            unauthorized(ctx, REALM + ", error=\"invalid_token\"", "unauthorized", "the bearer token is not valid");
        }
    }

    private Caller find(String token) {
        if (jwt != null && JwtVerifier.looksLikeJwt(token)) {
            Caller c = jwt.verify(token);
            if (c != null) {
                return c;
            }
        }
        String digest = TokenFile.sha256(token); // once, for the cluster secret and the tokens file alike
        if (digest.equals(clusterSecretDigest)) {
            return PEER;
        }
        return tokens == null ? null : tokens.findDigest(digest);
    }

    /** The bearer token of a request, or null; a malformed one, or one sent two ways, is a 400. */
    static String token(HttpServerRequest request) {
        String header = request.getHeader("Authorization");
        List<String> query = request.params().getAll(ACCESS_TOKEN);
        if (!query.isEmpty() && request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            throw Problem.badRequest("unknown query parameter access_token on " + request.method()
                    + ": it is taken only on GET (for EventSource); send 'Authorization: Bearer <token>'")
                    .with("parameter", ACCESS_TOKEN);
        }
        if (query.size() > 1 || (header != null && !query.isEmpty())) {
            throw Problem.badRequest("send the bearer token once: in Authorization or in access_token, not both");
        }
        if (header == null) {
            return query.isEmpty() || query.get(0).isEmpty() ? null : query.get(0);
        }
        if (header.length() < 8 || !header.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            throw new Problem(401, "unauthorized", "Unauthorized", "Authorization takes a bearer token: 'Bearer <token>'");
        }
        String t = header.substring(7).strip();
        return t.isEmpty() ? null : t;
    }

    private static void unauthorized(RoutingContext ctx, String challenge, String slug, String detail) {
        ctx.response().putHeader("WWW-Authenticate", challenge);
        Http.problem(ctx, new Problem(401, slug, "Unauthorized", detail));
    }

    /** The caller this request was authenticated as (open paths have none). */
    static Caller caller(RoutingContext ctx) {
        return ctx.get(CALLER);
    }

    /** Reads of the stream named by path parameter {@code param}. */
    static Handler<RoutingContext> read(String param) {
        return need("read", ctx -> ctx.pathParam(param), Permissions::canRead);
    }

    /** Reads of the whole log ({@code $all}). */
    static Handler<RoutingContext> readAll() {
        return need("read", ctx -> "$all", Permissions::canRead);
    }

    /** Appends to the stream named by path parameter {@code param}. */
    static Handler<RoutingContext> write(String param) {
        return need("write", ctx -> ctx.pathParam(param), Permissions::canWrite);
    }

    /** Any read permission at all (the stream list shows only what the caller may read). */
    static Handler<RoutingContext> readSome() {
        return need("read", ctx -> "any stream", (p, s) -> p.readsAnything());
    }

    /** Administration: {@code /log}, {@code /cluster}, group settings. */
    static Handler<RoutingContext> admin() {
        return need("administer", ctx -> "this server", (p, s) -> p.admin());
    }

    private interface Check {
        boolean allows(Permissions p, String stream);
    }

    private static Handler<RoutingContext> need(String verb, Function<RoutingContext, String> what, Check check) {
        return ctx -> {
            Caller c = caller(ctx);
            String target = what.apply(ctx);
            if (c != null && target != null && check.allows(c.permissions(), target)) {
                ctx.next();
                return;
            }
            ctx.response().putHeader("WWW-Authenticate", REALM + ", error=\"insufficient_scope\"");
            Http.problem(ctx, new Problem(403, "forbidden", "Forbidden", (c == null ? "this caller" : "token " + c.name())
                    + " may not " + verb + " " + EventParser.abbreviate(String.valueOf(target))));
        };
    }
}
