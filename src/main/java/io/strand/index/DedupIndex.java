package io.strand.index;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.function.LongPredicate;

/**
 * Which event ids were appended to which stream recently, so a re-sent batch is recognised.
 *
 * <p>Each entry is one {@code long}: the record's log position divided by 8 in the high 48 bits and
 * a 16-bit fingerprint of {@link #key} in the low 16; a fingerprint match is only a candidate, which
 * the caller confirms by reading the record. Entries live in generations of open-addressing
 * tables: a full (or older than the window) table is never resized or rehashed — it is kept as it is
 * and a new one started, so an insert never stalls — and a generation whose newest entry is older than
 * the window is dropped whole. An id therefore stays known for at least the window and at most about
 * twice it; memory is 8 to 16 bytes per entry. Only events beyond their stream's first
 * {@link StreamIndex#SCAN_VERSIONS} versions are entered here (the first ones are found through
 * the stream's own index), so a store of many small streams keeps this index nearly empty.
 *
 * <p>Thread-safe (one lock; callers read the log outside it).
 */
public final class DedupIndex {
    static final int MIN_CAPACITY = 1 << 12;
    private static final int MAX_CAPACITY = 1 << 30;

    private final long windowMillis;
    /** Oldest first; the last one takes inserts. */
    private final ArrayDeque<Generation> generations = new ArrayDeque<>();

    public DedupIndex(long windowMillis) {
        this.windowMillis = windowMillis;
        generations.add(new Generation(MIN_CAPACITY, Long.MAX_VALUE));
    }

    /** The 64-bit key of event id {@code (msb, lsb)} in stream {@code streamId}. */
    public static long key(int streamId, long msb, long lsb) {
        long h = msb * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(lsb * 0xC2B2AE3D27D4EB4FL, 31) ^ streamId * 0x165667B19E3779F9L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        return h ^ (h >>> 33);
    }

    /** Records that the event with {@code key} is at log {@code position}, appended at {@code timestampMillis}. */
    public synchronized void insert(long key, long position, long timestampMillis) {
        Generation g = generations.peekLast();
        if (g.size >= g.limit || timestampMillis - g.firstMillis > windowMillis) {
            expire(timestampMillis);
            g = new Generation(nextCapacity(), timestampMillis);
            generations.add(g);
        }
        g.insert(key, position, timestampMillis);
    }

    /** Room for what the live generations hold (about the window's appends) at under 3/4 load. */
    private int nextCapacity() {
        long live = 0;
        for (Generation g : generations) {
            live += g.size;
        }
        long want = Long.highestOneBit(Math.max(MIN_CAPACITY, live + live / 2) - 1) << 1;
        return (int) Math.min(MAX_CAPACITY, want);
    }

    private void expire(long nowMillis) {
        Iterator<Generation> it = generations.iterator();
        while (it.hasNext()) {
            Generation g = it.next();
            if (g.size == 0 || nowMillis - g.lastMillis > windowMillis) {
                it.remove();
            } else {
                break; // newer generations hold newer entries
            }
        }
    }

    /**
     * Calls {@code candidate} with each position recorded under a key whose fingerprint matches,
     * newest generation first, until it returns true; returns that position or -1. The caller's
     * test runs outside this index's lock, on a snapshot of the candidates.
     */
    public long find(long key, LongPredicate candidate) {
        long[] found;
        synchronized (this) {
            Candidates c = new Candidates();
            for (Iterator<Generation> it = generations.descendingIterator(); it.hasNext(); ) {
                it.next().collect(key, c);
            }
            found = Arrays.copyOf(c.positions, c.count);
        }
        for (long p : found) {
            if (candidate.test(p)) {
                return p;
            }
        }
        return -1;
    }

    private static final class Candidates {
        long[] positions = new long[4];
        int count;

        void add(long position) {
            if (count == positions.length) {
                positions = Arrays.copyOf(positions, count * 2);
            }
            positions[count++] = position;
        }
    }

    /** Entries held (for metrics and tests). */
    public synchronized long size() {
        long n = 0;
        for (Generation g : generations) {
            n += g.size;
        }
        return n;
    }

    /** Heap held by the tables, in bytes. */
    public synchronized long footprintBytes() {
        long n = 0;
        for (Generation g : generations) {
            n += 8L * g.slots.length;
        }
        return n;
    }

    public synchronized int generationCount() {
        return generations.size();
    }

    private static final class Generation {
        final long[] slots;
        final int mask;
        final int limit;
        int size;
        long firstMillis;
        long lastMillis;

        Generation(int capacity, long firstMillis) {
            slots = new long[capacity];
            mask = capacity - 1;
            limit = capacity - (capacity >> 2);
            this.firstMillis = firstMillis;
        }

        void insert(long key, long position, long timestampMillis) {
            if (size == 0) {
                firstMillis = timestampMillis;
            }
            long slot = ((position >>> 3) << 16) | fingerprint(key);
            int i = (int) key & mask;
            while (slots[i] != 0) {
                i = (i + 1) & mask;
            }
            slots[i] = slot;
            size++;
            lastMillis = Math.max(lastMillis, timestampMillis);
        }

        void collect(long key, Candidates out) {
            long fp = fingerprint(key);
            int i = (int) key & mask;
            long s;
            while ((s = slots[i]) != 0) {
                if ((s & 0xFFFF) == fp) {
                    out.add((s >>> 16) << 3);
                }
                i = (i + 1) & mask;
            }
        }

        private static long fingerprint(long key) {
            return (key >>> 48) | 1; // never 0, so a used slot is never 0
        }
    }
}
