package io.strand.log;

import java.util.concurrent.CompletableFuture;

/**
 * Bounded FIFO of appends waiting for the log to reach their end position (committed or flushed).
 * Appends enter in position order because they are added under the append lock; the one consumer
 * thread completes every waiter whose end has been reached. Bounded on purpose: when it is full
 * the append is refused with an overload error, never queued without limit.
 *
 * <p>Producers are serialised by the append lock (which also orders their plain stores); the
 * release store of {@code tail} pairs with the consumer's acquire load of it, and the consumer's
 * store of {@code head} pairs with the producer's load when checking for space.
 */
final class WaiterRing {
    private final long[] ends;
    private final Object[] futures;
    private final Object[] results;
    private final int mask;
    private volatile long head;
    private volatile long tail;

    WaiterRing(int capacity) {
        int size = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
        this.ends = new long[size];
        this.futures = new Object[size];
        this.results = new Object[size];
        this.mask = size - 1;
    }

    /** Producer side, under the append lock. */
    boolean hasSpace() {
        return tail - head < ends.length;
    }

    /** Producer side, under the append lock, after {@link #hasSpace()} said yes. */
    <T> void add(long endPosition, CompletableFuture<T> future, T result) {
        long t = tail;
        int i = (int) (t & mask);
        ends[i] = endPosition;
        futures[i] = future;
        results[i] = result;
        tail = t + 1;
    }

    boolean isEmpty() {
        return head == tail;
    }

    int size() {
        return (int) (tail - head);
    }

    /**
     * Consumer side: completes every waiter whose end is at or below {@code position}. The slots
     * are freed with one store of {@code head} at the end (not one per waiter): until then the
     * producer merely sees less free space.
     */
    @SuppressWarnings("unchecked")
    int completeUpTo(long position) {
        long first = head;
        long t = tail;
        long h = first;
        while (h < t) {
            int i = (int) (h & mask);
            if (ends[i] > position) {
                break;
            }
            CompletableFuture<Object> f = (CompletableFuture<Object>) futures[i];
            Object r = results[i];
            futures[i] = null;
            results[i] = null;
            h++;
            f.complete(r);
        }
        if (h != first) {
            head = h;
        }
        return (int) (h - first);
    }

    /** Consumer side: fails every waiter whose end is at or below {@code position}, in order. */
    @SuppressWarnings("unchecked")
    void failUpTo(long position, Throwable cause) {
        long h = head;
        long t = tail;
        while (h < t && ends[(int) (h & mask)] <= position) {
            int i = (int) (h & mask);
            CompletableFuture<Object> f = (CompletableFuture<Object>) futures[i];
            futures[i] = null;
            results[i] = null;
            h++;
            head = h;
            if (f != null) {
                f.completeExceptionally(cause);
            }
        }
    }

    /** Consumer side (or after the consumer stopped): fails every waiter. */
    void failAll(Throwable cause) {
        failUpTo(Long.MAX_VALUE, cause);
    }
}
