package io.strand.cluster;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * This node's Ratis client, renewed when it breaks. Ratis's ordered async client closes its sliding
 * window for good once one request has used up its retries (no leader for the whole request
 * timeout): every later request then fails with {@code AlreadyClosedException}. So a failed request
 * retires the client it used, and the next request gets a new one (a new client id: the leader's
 * retry cache does not match the old requests, which is safe because their outcome was answered as
 * unknown and clients re-send with the same event ids).
 */
final class RaftClients implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RaftClients.class.getName());

    private final RaftGroup group;
    private final RaftProperties properties;
    private final int attempts;
    private final AtomicReference<RaftClient> current = new AtomicReference<>();
    private volatile boolean closed;

    RaftClients(RaftGroup group, ClusterConfig config) {
        this.group = group;
        this.properties = RaftProps.client(config);
        // Retries (leader changes, NotLeader redirects) stay within the request timeout: the caller
        // gets a 503 with an unknown outcome after that, and re-sends the same ids.
        this.attempts = (int) Math.max(1, config.requestTimeout().toMillis() / SLEEP_MILLIS);
    }

    private static final long SLEEP_MILLIS = 100;

    /** The client to send through now. */
    RaftClient get() {
        RaftClient c = current.get();
        while (c == null) {
            if (closed) {
                throw new IllegalStateException("the Raft client is closed");
            }
            RaftClient fresh = build();
            if (current.compareAndSet(null, fresh)) {
                return fresh;
            }
            closeQuietly(fresh);
            c = current.get();
        }
        return c;
    }

    /** A request through {@code failed} failed: retire it, unless it was renewed already. */
    void failed(RaftClient failed) {
        if (current.compareAndSet(failed, null)) {
            LOG.log(System.Logger.Level.INFO, "renewing the Raft client after a failed request");
            closeQuietly(failed);
        }
    }

    private RaftClient build() {
        return RaftClient.newBuilder()
                .setRaftGroup(group)
                .setProperties(properties)
                .setClientRpc(new GrpcFactory(new Parameters()).newRaftClientRpc(ClientId.randomId(), properties))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts,
                        TimeDuration.valueOf(SLEEP_MILLIS, TimeUnit.MILLISECONDS)))
                .build();
    }

    @Override
    public void close() {
        closed = true;
        RaftClient c = current.getAndSet(null);
        if (c != null) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing a Raft client failed", e);
        }
    }
}
