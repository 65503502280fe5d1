package io.strand.cluster;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Requests this node's own Raft server takes in-process, with no Ratis client and no gRPC call to
 * itself.
 *
 * <p>Linearizable reads: a follower asks the leader for its ReadIndex over the servers' own channel
 * and waits to apply that far. Through the client, an unordered read was answered with
 * {@code whenCompleteAsync} and no executor, which starts a thread per read wherever the JVM sees
 * two CPUs or fewer; and each follower's nudge for the commit index is one such read. A read refused
 * fast (no leader known yet, a leader not ready, a refused connection) is asked again every
 * {@value RaftTimer#RETRY_MILLIS} ms until {@code timeoutMillis} is up, as appends are
 * ({@link RaftClients#send}): after a failover it is answered once a new leader is known.
 *
 * <p>Entries on the leader: the leader's own appends skip the client's serialization, a loopback
 * gRPC round trip and its thread hand-offs. Only one attempt: a refusal (no longer the leader, not
 * ready yet) is for the caller to send through the client instead.
 *
 * <p>Snapshots: this member's own snapshot, asked for by {@link SnapshotTrigger}.
 *
 * <p>Every request is handed to the server from a thread of its own ({@link #submitter}), never from
 * the caller's: Ratis's {@code submitClientRequestAsync} waits while its client executor takes the
 * request, and a caller may be Ratis's own applying thread, completing a read while it holds the
 * ReadIndex queue's monitor, which the client executor needs to queue the next read. A follower's
 * nudge asked again from such a completion deadlocked the two, and the member never applied again
 * (cluster benchmark, 2026-12-07 20:47). An event loop asking for a linearizable read must not wait either.
 */
final class LocalRequests {
    /**
     * Hands requests to the server. One thread per member: a hand-off is short (Ratis queues the
     * request and returns), and requests keep their order; it ends when idle for a minute.
     */
    private final ExecutorService submitter = submitter();

    private final RaftServer server;
    private final RaftPeerId self;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();

    LocalRequests(RaftServer server, RaftPeerId self) {
        this.server = server;
        this.self = self;
    }

    /** The state machine's answer to {@code query} once this node applied the group's ReadIndex. */
    CompletableFuture<RaftClientReply> read(Message query, long timeoutMillis) {
        CompletableFuture<RaftClientReply> result = new CompletableFuture<>();
        attempt(query, timeoutMillis, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis), result);
        return result.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void attempt(Message query, long timeoutMillis, long deadline, CompletableFuture<RaftClientReply> result) {
        if (result.isDone()) {
            return;
        }
        submit(query, RaftClientRequest.readRequestType(), timeoutMillis).whenComplete((reply, e) -> {
            if (e == null && reply.isSuccess()) {
                result.complete(reply);
                return;
            }
            if (!RaftTimer.retryBefore(deadline, () -> attempt(query, timeoutMillis, deadline, result))) {
                Throwable why = e != null ? e : reply.getException();
                result.completeExceptionally(why != null ? why : new IOException("the read failed: " + reply));
            }
        });
    }

    /** Appends {@code entry} through this node's server, which must lead: its reply, or a refusal. */
    CompletableFuture<RaftClientReply> write(Message entry, long timeoutMillis) {
        return submit(entry, RaftClientRequest.writeRequestType(), timeoutMillis);
    }

    /**
     * Asks this node's server to take a snapshot now. A gap of one entry: Ratis's default (1024
     * entries) would refuse one after a few hundred large entries.
     */
    CompletableFuture<RaftClientReply> snapshot(long timeoutMillis) {
        SnapshotManagementRequest request = SnapshotManagementRequest.newCreate(clientId, self, RaftNode.GROUP_ID,
                callIds.incrementAndGet(), timeoutMillis, 1);
        return handOff(() -> server.snapshotManagementAsync(request));
    }

    private CompletableFuture<RaftClientReply> submit(Message message, RaftClientRequest.Type type, long timeoutMillis) {
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(clientId).setServerId(self).setGroupId(RaftNode.GROUP_ID)
                .setCallId(callIds.incrementAndGet()).setMessage(message).setType(type).setTimeoutMs(timeoutMillis)
                .build();
        return handOff(() -> {
            try {
                return server.submitClientRequestAsync(request);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** Runs {@code call} on {@link #submitter}, never on the caller's thread (see above). */
    private CompletableFuture<RaftClientReply> handOff(Supplier<CompletableFuture<RaftClientReply>> call) {
        return CompletableFuture.supplyAsync(call, submitter).thenCompose(f -> f);
    }

    private static ExecutorService submitter() {
        ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "strand-raft-submit");
            t.setDaemon(true);
            return t;
        });
        e.allowCoreThreadTimeOut(true);
        return e;
    }
}
