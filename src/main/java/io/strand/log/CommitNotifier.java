package io.strand.log;

import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Tells whoever waits for commits that one happened: wakes the flush thread when sync appends wait
 * (so a FLUSHED waiter never depends on a timer, RocketMQ #7523) and calls the registered commit
 * listeners (subscriptions, the indexer) with the new committed position. Owns the listener list.
 * Exists apart from {@link CommittedPosition} because it runs outside the append lock, after the
 * advance, and apart from {@link CommitLog} so the committing side is handed a listener to
 * notify, not the log.
 *
 * <p>Thread-safe. {@link #afterCommit()} runs on the committing thread (with the pool off: on
 * appending threads, possibly several at once, so a listener may be told a position after a larger
 * one). The listener array is copy-on-write: registration is synchronized and publishes a new array
 * through the volatile field, which {@code afterCommit} loads once (acquire) and iterates without
 * allocating an iterator.
 */
final class CommitNotifier {
    private static final LongConsumer[] NONE = new LongConsumer[0];

    private final CommittedPosition committed;
    private final WaiterRing flushWaiters;
    private final FlushService flushService;
    private volatile LongConsumer[] listeners = NONE;

    CommitNotifier(CommittedPosition committed, WaiterRing flushWaiters, FlushService flushService) {
        this.committed = committed;
        this.flushWaiters = flushWaiters;
        this.flushService = flushService;
    }

    /** After a commit, outside the append lock: wake the flush thread for sync waiters, tell listeners. */
    void afterCommit() {
        if (!flushWaiters.isEmpty()) {
            flushService.wake();
        }
        LongConsumer[] l = listeners;
        if (l.length > 0) {
            long p = committed.get();
            for (LongConsumer listener : l) {
                listener.accept(p);
            }
        }
    }

    /** The commit thread died: wake the flush thread at once so it fails its own waiters. */
    void commitFailed() {
        flushService.wakeNow();
    }

    synchronized void add(LongConsumer listener) {
        LongConsumer[] next = Arrays.copyOf(listeners, listeners.length + 1);
        next[next.length - 1] = listener;
        listeners = next;
    }

    synchronized void remove(LongConsumer listener) {
        LongConsumer[] current = listeners;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == listener) {
                LongConsumer[] next = new LongConsumer[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                listeners = next;
                return;
            }
        }
    }
}
