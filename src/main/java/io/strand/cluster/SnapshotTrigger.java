package io.strand.cluster;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.server.RaftServer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Asks this member's Raft server for a snapshot once {@code bytes} of Raft entries were applied
 * since the last one. Ratis counts entries only, and an entry is one append or a few hundred batches
 * coalesced (13 KB to 330 KB each in the cluster benchmark): 100,000 of them were 1.7 GB of Raft log
 * that a restarted member read back, entry by entry into its heap, before it could catch up, and ran
 * out of a 1 GiB heap doing so (benchmark, 2026-12-07). Bounding the log behind the last snapshot
 * bounds that read, the restart's time, and the Raft log's disk.
 *
 * <p>{@link #applied} and {@link #taken} run on the applying thread, or under the state machine's
 * applying lock; the request goes out on a thread of its own (Ratis's admin call waits while it is
 * handed on).
 */
final class SnapshotTrigger {
    private static final System.Logger LOG = System.getLogger(SnapshotTrigger.class.getName());

    private final long bytes;
    private final Supplier<CompletableFuture<RaftServer>> server;
    private final RaftGroupId group;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final AtomicBoolean asked = new AtomicBoolean();
    /** Entry bytes applied since the last snapshot. Applying thread (or the applying lock) only. */
    private long since;

    SnapshotTrigger(long bytes, Supplier<CompletableFuture<RaftServer>> server, RaftGroupId group) {
        this.bytes = bytes;
        this.server = server;
        this.group = group;
    }

    /** An entry of {@code entryBytes} was applied: asks for a snapshot when the bytes since the last one reach the bound. */
    void applied(long entryBytes) {
        since += entryBytes;
        if (since >= bytes && asked.compareAndSet(false, true)) {
            Thread t = new Thread(this::ask, "strand-snapshot-request");
            t.setDaemon(true);
            t.start();
        }
    }

    /** A snapshot was taken (asked for or not): counting starts again. */
    void taken() {
        since = 0;
        asked.set(false);
    }

    private void ask() {
        try {
            RaftServer s = server.get().join();
            // A gap of one entry: Ratis's default (1024 entries) would refuse a snapshot after a few hundred large ones.
            SnapshotManagementRequest request = SnapshotManagementRequest.newCreate(clientId, s.getId(), group,
                    callIds.incrementAndGet(), 60_000, 1);
            s.snapshotManagementAsync(request).whenComplete((reply, e) -> {
                if (e != null || reply == null || !reply.isSuccess()) {
                    retryLater(e != null ? e : reply == null ? null : reply.getException());
                }
            });
        } catch (Exception e) {
            retryLater(e);
        }
    }

    /** The server could not take it now (starting, installing a snapshot): the next entry past a second asks again. */
    private void retryLater(Throwable why) {
        LOG.log(System.Logger.Level.DEBUG, "a snapshot by bytes was not taken; asking again later", why);
        RaftTimer.after(1000).execute(() -> asked.set(false));
    }
}
