package io.strand.store;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Subscriptions to streams that do not exist yet, by name: they hold no catalog entry (random
 * subscriptions must not grow the catalog). A subscription registers here before it looks the
 * name up (under the catalog's creation lock); the append that commits the stream's first events
 * {@link #wake}s the name's waiters, which attach to the new entry on their next drain and leave.
 *
 * <p>Thread-safe: one {@link ConcurrentHashMap} of copy-on-write arrays (a name has few waiters).
 * Bounded by the open subscriptions; a name leaves when its last waiter attaches, is cancelled or
 * completes. Apart from {@link Subscriptions} because the append side wakes it too.
 */
final class StreamWaiters {
    private final ConcurrentHashMap<String, Runnable[]> waiters = new ConcurrentHashMap<>();

    /** Wakes {@code listener} when {@code stream}'s first events are committed. */
    void await(String stream, Runnable listener) {
        waiters.merge(stream, new Runnable[]{listener}, (old, one) -> {
            Runnable[] next = Arrays.copyOf(old, old.length + 1);
            next[old.length] = one[0];
            return next;
        });
    }

    /** Undoes {@link #await} (attached, cancelled or completed); no-op when not waiting. */
    void stopAwaiting(String stream, Runnable listener) {
        waiters.computeIfPresent(stream, (name, old) -> {
            for (int i = 0; i < old.length; i++) {
                if (old[i] == listener) {
                    if (old.length == 1) {
                        return null;
                    }
                    Runnable[] next = new Runnable[old.length - 1];
                    System.arraycopy(old, 0, next, 0, i);
                    System.arraycopy(old, i + 1, next, i, old.length - i - 1);
                    return next;
                }
            }
            return old;
        });
    }

    /** Runs the waiters of {@code stream}: its first events are committed, it exists now. */
    void wake(String stream) {
        Runnable[] w = waiters.get(stream);
        if (w != null) {
            for (Runnable r : w) {
                r.run();
            }
        }
    }

    /** Subscriptions waiting (for tests and metrics). */
    int count() {
        int n = 0;
        for (Runnable[] w : waiters.values()) {
            n += w.length;
        }
        return n;
    }
}
