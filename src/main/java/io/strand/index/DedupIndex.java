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
 * <p><b>Memory bound.</b> The window alone does not bound memory: it holds append rate x window
 * entries (at 700 k appends/s and 10 minutes, 420 M entries, 3-6 GiB). So at most
 * {@code maxEntries} entries are live: a generation holds at most half of them, and when an insert
 * would go beyond the bound the oldest generations are dropped before their window is over. The
 * effective window then shortens to what the bound holds (at least the newest {@code maxEntries / 2}
 * ids are always kept); a warning is logged once and {@link #droppedEarly()} counts the entries
 * dropped that way. The tables then take at most about 16 bytes per {@code maxEntries}.
 *
 * <p>Thread-safe (one lock; callers read the log outside it).
 */
public final class DedupIndex {
    static final int MIN_CAPACITY = 1 << 12;
    private static final int MAX_CAPACITY = 1 << 30;
    private static final System.Logger LOG = System.getLogger(DedupIndex.class.getName());

    private final long windowMillis;
    private final long maxEntries;
    /** Entries one generation may hold: half the bound, so dropping the oldest keeps the newest half. */
    private final int generationLimit;
    /** The largest table a generation gets: a power of two whose 3/4 load is at most {@link #generationLimit}. */
    private final int maxCapacity;
    /** Oldest first; the last one takes inserts. */
    private final ArrayDeque<Generation> generations = new ArrayDeque<>();
    /** Entries in all generations. */
    private long live;
    private volatile long droppedEarly;
    private boolean warned;

    /** With the default bound, {@link IndexConfig#DEFAULT_DEDUP_MAX_ENTRIES}. */
    public DedupIndex(long windowMillis) {
        this(windowMillis, IndexConfig.DEFAULT_DEDUP_MAX_ENTRIES);
    }

    /**
     * @param windowMillis how long an id is remembered at least, while the bound allows
     * @param maxEntries   the most entries held at once (at least 1): past it, the oldest are dropped early
     */
    public DedupIndex(long windowMillis, long maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1: " + maxEntries);
        }
        this.windowMillis = windowMillis;
        this.maxEntries = maxEntries;
        this.generationLimit = (int) Math.min(Math.max(1, maxEntries / 2), MAX_CAPACITY - (MAX_CAPACITY >> 2));
        int capacity = 8;
        while (capacity < MAX_CAPACITY && (capacity << 1) - (capacity >> 1) <= generationLimit) {
            capacity <<= 1;
        }
        this.maxCapacity = capacity;
        generations.add(new Generation(Math.min(MIN_CAPACITY, maxCapacity), generationLimit, Long.MAX_VALUE));
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
            expire(timestampMillis, 0);
            g = new Generation(nextCapacity(), generationLimit, timestampMillis);
            generations.add(g);
        }
        if (live >= maxEntries) {
            expire(timestampMillis, 1); // never the generation taking inserts
            if (live >= maxEntries) {
                dropEarly(timestampMillis);
            }
        }
        g.insert(key, position, timestampMillis);
        live++;
    }

    /** Room for what the live generations hold (about the window's appends) at under 3/4 load, within the bound. */
    private int nextCapacity() {
        long want = Long.highestOneBit(Math.max(MIN_CAPACITY, live + live / 2) - 1) << 1;
        return (int) Math.min(maxCapacity, want);
    }

    /** Drops the oldest generations whose newest entry is older than the window, keeping the newest {@code keep}. */
    private void expire(long nowMillis, int keep) {
        Iterator<Generation> it = generations.iterator();
        while (it.hasNext() && generations.size() > keep) {
            Generation g = it.next();
            if (g.size == 0 || nowMillis - g.lastMillis > windowMillis) {
                it.remove();
                live -= g.size;
            } else {
                break; // newer generations hold newer entries
            }
        }
    }

    /** Drops the oldest generations, though inside the window, until an insert fits the bound. */
    private void dropEarly(long nowMillis) {
        long dropped = 0;
        while (live >= maxEntries && generations.size() > 1) {
            Generation g = generations.removeFirst();
            live -= g.size;
            dropped += g.size;
        }
        droppedEarly += dropped;
        if (!warned && dropped > 0) {
            warned = true;
            long kept = nowMillis - generations.peekFirst().firstMillis;
            LOG.log(System.Logger.Level.WARNING, "the dedup index reached strand.dedup.max-entries ({0} ids): the oldest"
                    + " ids are forgotten before strand.dedup.window ({1} ms) is over; it now remembers the last {2} ms"
                    + " of appends (beyond each stream''s first {3} events). Raise strand.dedup.max-entries (about 16"
                    + " bytes of heap each) if re-sends may come later than that. Logged once; see droppedEarly().",
                    maxEntries, windowMillis, Math.max(0, kept), StreamIndex.SCAN_VERSIONS);
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
        return live;
    }

    /** The most entries held at once ({@code strand.dedup.max-entries}). */
    public long maxEntries() {
        return maxEntries;
    }

    /**
     * Entries dropped before their window was over because the index was at {@link #maxEntries()}
     * (for metrics): when it grows, re-sends older than the shortened window are no longer recognised.
     */
    public long droppedEarly() {
        return droppedEarly;
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
        /** A slot is {@link PositionSlotDescriptor#pack}{@code (position, the key's top 16 bits | 1, 16)}. */
        private static final int FINGERPRINT_BITS = 16;
        final long[] slots;
        final int mask;
        final int limit;
        int size;
        long firstMillis;
        long lastMillis;

        Generation(int capacity, int maxLimit, long firstMillis) {
            slots = new long[capacity];
            mask = capacity - 1;
            limit = Math.min(capacity - (capacity >> 2), maxLimit);
            this.firstMillis = firstMillis;
        }

        void insert(long key, long position, long timestampMillis) {
            if (size == 0) {
                firstMillis = timestampMillis;
            }
            long slot = PositionSlotDescriptor.pack(position, fingerprint(key), FINGERPRINT_BITS);
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
                if (PositionSlotDescriptor.fingerprint(s, FINGERPRINT_BITS) == fp) {
                    out.add(PositionSlotDescriptor.position(s, FINGERPRINT_BITS));
                }
                i = (i + 1) & mask;
            }
        }

        private static long fingerprint(long key) {
            return (key >>> 48) | 1; // never 0, so a used slot is never 0
        }
    }
}
