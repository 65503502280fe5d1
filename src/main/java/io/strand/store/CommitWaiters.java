package io.strand.store;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Waits for the log to commit up to a position (a replica catching up to what a client saw
 * elsewhere). The commit thread only looks whether anyone waits; the waiters are completed on the
 * store's notifier, so what they run never delays a commit. One future per position, shared.
 */
final class CommitWaiters {
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> waiting = new ConcurrentSkipListMap<>();
    private final LongSupplier committed;
    private final Executor notifier;

    CommitWaiters(LongSupplier committed, Executor notifier) {
        this.committed = committed;
        this.notifier = notifier;
    }

    /** Completes once the committed position is at least {@code position}. */
    CompletionStage<Void> await(long position) {
        if (committed.getAsLong() >= position) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = waiting.computeIfAbsent(position, p -> new CompletableFuture<>());
        if (committed.getAsLong() >= position) { // committed between the check and the insert
            release(committed.getAsLong());
        }
        return f;
    }

    /** On the commit thread: hands the release to the notifier when someone waits. */
    void committed(long position) {
        Map.Entry<Long, CompletableFuture<Void>> first = waiting.firstEntry();
        if (first != null && first.getKey() <= position) {
            notifier.execute(() -> release(committed.getAsLong()));
        }
    }

    private void release(long position) {
        for (Map.Entry<Long, CompletableFuture<Void>> e; (e = waiting.firstEntry()) != null && e.getKey() <= position; ) {
            if (waiting.remove(e.getKey(), e.getValue())) {
                e.getValue().complete(null);
            }
        }
    }
}
