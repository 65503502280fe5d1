package io.strand.cluster;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The Raft index this replica has applied (handed to its store, in order), and waits for it: a node
 * that forwarded an append answers only once it has applied the entry itself, so a read on that
 * node right after the answer sees the write. Waiters are completed on the applying thread; what
 * they run must be short (they hop to the store's commit waiters).
 */
final class AppliedIndex {
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> waiting = new ConcurrentSkipListMap<>();
    private volatile long index;

    long get() {
        return index;
    }

    /** On the applying thread, after entry {@code applied} went to the store. */
    void advance(long applied) {
        index = applied;
        for (Map.Entry<Long, CompletableFuture<Void>> e; (e = waiting.firstEntry()) != null && e.getKey() <= applied; ) {
            if (waiting.remove(e.getKey(), e.getValue())) {
                e.getValue().complete(null);
            }
        }
    }

    CompletionStage<Void> await(long raftIndex) {
        if (index >= raftIndex) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = waiting.computeIfAbsent(raftIndex, i -> new CompletableFuture<>());
        if (index >= raftIndex) {
            advance(index);
        }
        return f;
    }

    /** Fails every waiter (the replica stopped applying). */
    void failAll(Throwable cause) {
        for (Map.Entry<Long, CompletableFuture<Void>> e; (e = waiting.pollFirstEntry()) != null; ) {
            e.getValue().completeExceptionally(cause);
        }
    }
}
