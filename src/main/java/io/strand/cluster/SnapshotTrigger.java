package io.strand.cluster;

import org.apache.ratis.protocol.RaftClientReply;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * applying lock; the request goes out through {@link LocalRequests#snapshot}, which hands it on.
 */
final class SnapshotTrigger {
    private static final System.Logger LOG = System.getLogger(SnapshotTrigger.class.getName());
    private static final long TIMEOUT_MILLIS = 60_000;

    private final long bytes;
    private final AtomicBoolean asked = new AtomicBoolean();
    /** How to ask (set once the server exists; until then every ask is refused and made again later). */
    private volatile Supplier<CompletableFuture<RaftClientReply>> ask = () -> CompletableFuture.failedFuture(
            new IllegalStateException("the Raft server is not built yet"));
    /** Entry bytes applied since the last snapshot. Applying thread (or the applying lock) only. */
    private long since;

    SnapshotTrigger(long bytes) {
        this.bytes = bytes;
    }

    /** Asks through {@code local} from now on. */
    void askThrough(LocalRequests local) {
        ask = () -> local.snapshot(TIMEOUT_MILLIS);
    }

    /** An entry of {@code entryBytes} was applied: asks for a snapshot when the bytes since the last one reach the bound. */
    void applied(long entryBytes) {
        since += entryBytes;
        if (since >= bytes && asked.compareAndSet(false, true)) {
            ask.get().whenComplete((reply, e) -> {
                if (e != null || !reply.isSuccess()) {
                    retryLater(e != null ? e : reply.getException());
                }
            });
        }
    }

    /** A snapshot was taken (asked for or not): counting starts again. */
    void taken() {
        since = 0;
        asked.set(false);
    }

    /** The server could not take it now (starting, installing a snapshot): the next entry past a second asks again. */
    private void retryLater(Throwable why) {
        LOG.log(System.Logger.Level.DEBUG, "a snapshot by bytes was not taken; asking again later", why);
        RaftTimer.after(1000).execute(() -> asked.set(false));
    }
}
