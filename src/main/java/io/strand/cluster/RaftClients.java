package io.strand.cluster;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.retry.ExceptionDependentRetry;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * This node's Ratis client, renewed when it breaks. Ratis's ordered async client closes its sliding
 * window for good once one request has used up its retries (no leader for the whole request
 * timeout): every later request then fails with {@code AlreadyClosedException}. So a failed request
 * retires the client it used, and the next request gets a new one (a new client id: the leader's
 * retry cache does not match the old requests, which is safe because their outcome was answered as
 * unknown and clients re-send with the same event ids).
 *
 * <p>The client is also renewed when this member learns of a new leader. A leader that is paused
 * (SIGSTOP, a long GC, a frozen VM) keeps its connections open: Ratis's client would wait out its
 * request timeout on it, try another member, be redirected back to it by members that have not yet
 * noticed, and hold every later request behind the first in its ordered window. This member's own
 * Raft server knows the new leader as soon as it is elected, so new requests go straight to it; the
 * old client's requests are answered by their own timeout and it is closed after that.
 */
final class RaftClients implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RaftClients.class.getName());

    private final RaftGroup group;
    private final RaftProperties properties;
    /** Ratis's parameters: the members' mutual TLS when it is on. */
    private final Parameters parameters;
    private final int attempts;
    private final AtomicReference<RaftClient> current = new AtomicReference<>();
    private final long retireAfterMillis;
    private volatile RaftPeerId leader;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong requests = new java.util.concurrent.atomic.AtomicLong();

    RaftClients(RaftGroup group, ClusterConfig config) {
        this.group = group;
        this.properties = RaftProps.client(config);
        this.parameters = config.raftTls() == null ? new Parameters() : config.raftTls().parameters();
        // Retries (leader changes, NotLeader redirects) stay within the request timeout: the caller
        // gets a 503 with an unknown outcome after that, and re-sends the same ids.
        this.attempts = (int) Math.max(1, config.requestTimeout().toMillis() / SLEEP_MILLIS);
        this.retireAfterMillis = 2 * config.requestTimeout().toMillis();
    }

    private static final long SLEEP_MILLIS = RaftTimer.RETRY_MILLIS;

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

    /**
     * One request through this node's client, made again when an attempt fails fast (a new leader
     * not ready yet, a stream its server closed, a refused connection): the failed client is retired
     * and the next attempt, {@value #SLEEP_MILLIS} ms later, goes through a new one aimed at the leader
     * this member knows. Ratis's own client would instead try a member at random after such a
     * failure, often the stopped leader, and wait out its request timeout there. A reply that carries
     * a refusal of the state machine is an answer, not a failure; an attempt that times out is not
     * made again (its outcome is unknown, and the time is up). Completes within {@code timeoutMillis}.
     */
    CompletableFuture<RaftClientReply> send(Function<RaftClient, CompletableFuture<RaftClientReply>> request,
                                            long timeoutMillis) {
        requests.incrementAndGet();
        CompletableFuture<RaftClientReply> result = new CompletableFuture<>();
        attempt(request, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis), result);
        return result.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void attempt(Function<RaftClient, CompletableFuture<RaftClientReply>> request, long deadline,
                         CompletableFuture<RaftClientReply> result) {
        if (result.isDone()) {
            return;
        }
        RaftClient client = null;
        CompletableFuture<RaftClientReply> sent;
        try {
            client = get();
            sent = request.apply(client);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        RaftClient used = client;
        sent.whenComplete((reply, e) -> {
            Throwable failure = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (failure == null && (reply.isSuccess() || reply.getException() instanceof StateMachineException)) {
                result.complete(reply);
                return;
            }
            Throwable why = failure != null ? failure : reply.getException();
            if (why instanceof java.util.concurrent.TimeoutException || why instanceof TimeoutIOException || closed) {
                result.completeExceptionally(why);
                return;
            }
            if (used != null) {
                failed(used);
            }
            if (!RaftTimer.retryBefore(deadline, () -> attempt(request, deadline, result))) {
                result.completeExceptionally(why);
            }
        });
    }

    /** A request through {@code failed} failed: retire it, unless it was renewed already. */
    void failed(RaftClient failed) {
        if (current.compareAndSet(failed, null)) {
            LOG.log(System.Logger.Level.INFO, "renewing the Raft client after a failed request");
            // Not on this thread (a Ratis timer or gRPC thread): closing waits for its channels to shut down.
            CompletableFuture.runAsync(() -> closeQuietly(failed));
        }
    }

    /**
     * This member learned that {@code newLeader} leads (null: no leader known). A client that sends
     * elsewhere is replaced; it is closed once every request it holds has been answered by its timeout.
     * True when it was replaced.
     */
    boolean leaderChanged(RaftPeerId newLeader) {
        if (newLeader == null || closed) {
            return false;
        }
        leader = newLeader;
        RaftClient c = current.get();
        if (c != null && !newLeader.equals(c.getLeaderId()) && current.compareAndSet(c, null)) {
            LOG.log(System.Logger.Level.INFO, "new Raft leader " + newLeader + ": sending to it with a new Raft client");
            CompletableFuture.delayedExecutor(retireAfterMillis, TimeUnit.MILLISECONDS).execute(() -> closeQuietly(c));
            return true;
        }
        return false;
    }

    /** Requests sent through {@link #send} so far (the leader sends its own entries in-process). */
    long requests() {
        return requests.get();
    }

    private RaftClient build() {
        RetryPolicy retries = RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts,
                TimeDuration.valueOf(SLEEP_MILLIS, TimeUnit.MILLISECONDS));
        RaftClient.Builder b = RaftClient.newBuilder()
                .setRaftGroup(group)
                .setProperties(properties)
                .setClientRpc(new GrpcFactory(parameters).newRaftClientRpc(ClientId.randomId(), properties))
                // Ratis follows a NotLeader redirect and waits out a slow answer itself (a request it gives
                // up fails every request behind it in its ordered window); any other failure (a new leader
                // not ready, a stream its server closed, a refused connection) comes back to send().
                .setRetryPolicy(ExceptionDependentRetry.newBuilder()
                        .setExceptionToPolicy(NotLeaderException.class, retries)
                        .setExceptionToPolicy(TimeoutIOException.class, retries)
                        .setDefaultPolicy(RetryPolicies.noRetry())
                        .build());
        RaftPeerId hint = leader;
        if (hint != null) {
            b.setLeaderId(hint);
        }
        return b.build();
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
