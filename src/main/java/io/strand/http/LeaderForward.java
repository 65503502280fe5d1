package io.strand.http;

import io.strand.cluster.ClusterConfig;
import io.strand.cluster.Peer;
import io.strand.cluster.RaftNode;
import io.strand.ops.StorageLifecycle;
import io.strand.store.StoreUnavailableException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

/**
 * In a cluster the shared groups run on the leader ({@code GroupHost}): a node that does not run
 * them sends a {@code /groups/**} request on to the leader's HTTP address and pipes the answer
 * back as it comes, SSE included (back-pressured both ways: a slow consumer slows the leader's
 * stream, it does not fill memory here). So any node serves consumers of any group, and a
 * consumer's EventSource that loses the leader reconnects through whichever node it reaches.
 * While no leader is known, or the leader is still loading the groups, a request waits for it (up
 * to {@code strand.cluster.read-wait}), then gets 503 with {@code Retry-After}: an EventSource that
 * reconnects during a failover gets its stream, not an error it would not retry. A request that was
 * forwarded once is not forwarded again (two nodes that each think the other leads).
 */
final class LeaderForward implements Handler<RoutingContext> {
    /** Names the node that forwarded the request. */
    static final String FORWARDED_BY = "Strand-Forwarded-By";
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "te", "upgrade",
            "host", "content-length", "proxy-connection", "trailer");
    private final StorageLifecycle storage;
    private static final long RECHECK_MILLIS = 100;
    private final long idleMillis;
    private final long waitMillis;
    private volatile HttpClient client;

    /**
     * {@code idleMillis}: how long a forwarded exchange may be silent (above the SSE heartbeat);
     * {@code waitMillis}: how long a request waits for a leader that runs the groups.
     */
    LeaderForward(StorageLifecycle storage, long idleMillis, long waitMillis) {
        this.storage = storage;
        this.idleMillis = idleMillis;
        this.waitMillis = waitMillis;
    }

    @Override
    public void handle(RoutingContext ctx) {
        attempt(ctx, System.nanoTime() + waitMillis * 1_000_000);
    }

    private void attempt(RoutingContext ctx, long deadline) {
        if (!storage.clustered() || storage.sharedGroupsOrNull() != null) {
            ctx.next();
            return;
        }
        RaftNode node = storage.clusterOrNull();
        Peer leader = node == null ? null : node.leaderPeer();
        if (leader != null && !leader.id().equals(node.config().nodeId()) && ctx.request().getHeader(FORWARDED_BY) == null) {
            forward(ctx, node.config(), leader);
        } else if (System.nanoTime() < deadline && !ctx.response().closed()) {
            ctx.vertx().setTimer(RECHECK_MILLIS, t -> attempt(ctx, deadline));
        } else if (!ctx.response().closed()) {
            Http.problem(ctx, new StoreUnavailableException(leader == null ? "no leader is known: the shared groups run on"
                    + " the leader; retry" : "the shared groups are not loaded on the leader yet; retry", 1));
        }
    }

    private void forward(RoutingContext ctx, ClusterConfig config, Peer leader) {
        HttpServerResponse out = ctx.response();
        RequestOptions options = new RequestOptions().setMethod(ctx.request().method()).setHost(leader.host())
                .setPort(leader.httpPort()).setURI(ctx.request().uri()).setIdleTimeout(idleMillis);
        client(ctx.vertx(), config).request(options).onFailure(e -> unreachable(ctx, leader, e)).onSuccess(request -> {
            ctx.request().headers().forEach(h -> {
                if (!HOP_BY_HOP.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) {
                    request.headers().add(h.getKey(), h.getValue());
                }
            });
            request.putHeader(FORWARDED_BY, config.nodeId());
            out.closeHandler(v -> request.reset()); // the caller left: so does the leader's stream
            Buffer body = ctx.body().available() ? ctx.body().buffer() : null;
            (body == null ? request.send() : request.send(body)).onFailure(e -> unreachable(ctx, leader, e)).onSuccess(answer -> {
                if (out.closed()) {
                    request.reset();
                    return;
                }
                out.setStatusCode(answer.statusCode());
                answer.headers().forEach(h -> {
                    if (!HOP_BY_HOP.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) {
                        out.headers().add(h.getKey(), h.getValue());
                    }
                });
                String length = answer.getHeader(HttpHeaders.CONTENT_LENGTH);
                if (length != null) {
                    out.putHeader(HttpHeaders.CONTENT_LENGTH, length);
                } else {
                    out.setChunked(true);
                }
                answer.pipeTo(out);
            });
        });
    }

    private static void unreachable(RoutingContext ctx, Peer leader, Throwable e) {
        if (!ctx.response().headWritten()) {
            Http.problem(ctx, new StoreUnavailableException("the leader " + leader.id() + " (" + leader.httpAddress()
                    + "), which runs the shared groups, did not answer (" + e.getMessage() + "); retry", 1));
        } else {
            ctx.response().reset();
        }
    }

    private HttpClient client(Vertx vertx, ClusterConfig config) {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    HttpClientOptions options = new HttpClientOptions().setConnectTimeout(2000).setMaxPoolSize(4096)
                            .setKeepAlive(true);
                    if (config.peerTrust() != null) {
                        options.setSsl(true).setVerifyHost(true)
                                .setTrustOptions(new PemTrustOptions().addCertPath(config.peerTrust().toString()));
                    }
                    client = vertx.createHttpClient(options);
                }
                c = client;
            }
        }
        return c;
    }
}
