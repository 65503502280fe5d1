package io.strand.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;

/**
 * One stream's in-memory index: for each version, its record's log position and a 19-bit
 * fingerprint of its event id, packed in one {@code long} ({@link PositionSlotDescriptor}, 19 fingerprint bits;
 * positions up to 2^48). Versions are assigned by one appender at a time (the caller holds this
 * entry's monitor); readers on any thread see a version once {@link #assigned()} covers it, and
 * treat it as existing only when its position is below the log's committed position (see
 * {@link StreamIndex#lastVersion}).
 *
 * <p>The held versions are one snapshot, published through one volatile field: a {@code long[]}
 * whose element 0 is the first version held (its base, never changed in that array) and whose
 * element {@code 1 + v - base} is version {@code v}. The array is replaced when it grows and when
 * retention {@link #trim}s the versions whose records were deleted, so a reader always gets a base
 * and the slots that go with it. The appender writes the new slot into the current array and then
 * publishes {@link #assigned} (a volatile write); readers read {@code assigned}, then the array.
 *
 * <p>Memory: 40 bytes, the UTF-8 name, and 8 bytes per event held plus 8 for the base; with the
 * catalog's slots a ten-event stream takes about 190 bytes (measured in {@code ScaleTest}).
 */
public final class StreamEntry {
    static final int FINGERPRINT_BITS = 19;
    static final long FINGERPRINT_MASK = (1L << FINGERPRINT_BITS) - 1;
    /** The held versions of a stream that starts at version 0 and has none yet. */
    private static final long[] NONE = {0};
    private static final Runnable[] NO_LISTENERS = new Runnable[0];
    private static final VarHandle IN_FLIGHT;

    static {
        try {
            IN_FLIGHT = MethodHandles.lookup().findVarHandle(StreamEntry.class, "inFlight", CompletionStage.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int id;
    private final int hash;
    private final byte[] name;
    /**
     * {@code [base, slot of version base, slot of base + 1, ...]}: grown by the appender and replaced
     * by {@link #trim} (both under this entry's monitor); slots are published through
     * {@link #assigned}'s volatile write, a new array through this field's.
     */
    private volatile long[] versions = NONE;
    private volatile int assigned;
    /**
     * Versions given out, published or not: ahead of {@link #assigned} only while an appender holding
     * this entry's monitor is staging a batch, so a reader sees a batch whole or not at all.
     */
    private int written;
    /** Woken (on the committing thread) when events of this stream are committed. */
    private volatile Runnable[] listeners = NO_LISTENERS;
    /** The stage of this stream's latest append while it is in flight, else null. */
    private volatile CompletionStage<?> inFlight;

    StreamEntry(int id, byte[] name, int hash) {
        this.id = id;
        this.name = name;
        this.hash = hash;
    }

    public int id() {
        return id;
    }

    public String name() {
        return new String(name, StandardCharsets.UTF_8);
    }

    /**
     * True for the store's own streams (names beginning with {@code $}, which clients cannot use):
     * their ids are fresh and never checked for repeats, so they are not entered in the dedup index.
     */
    public boolean reserved() {
        return name.length > 0 && name[0] == '$';
    }

    /** The UTF-8 name; do not modify. */
    byte[] nameBytes() {
        return name;
    }

    int hash() {
        return hash;
    }

    /** Versions given out so far, committed or not: the next version is this number. */
    public int assigned() {
        return assigned;
    }

    /**
     * First version the index holds: versions below it were deleted by retention (trimmed while
     * running, or before a restart).
     */
    public int base() {
        return (int) versions[0];
    }

    /**
     * Log position of {@code version}, or -1 when it lies below {@link #base()} (deleted); the
     * caller checks {@code version < assigned()} (reading {@code assigned()} first).
     */
    public long position(long version) {
        long[] p = versions; // one snapshot: its base and its slots
        long at = version - p[0];
        return at < 0 ? -1 : PositionSlotDescriptor.position(p[(int) at + 1], FINGERPRINT_BITS);
    }

    /** The id fingerprint of {@code version} (see {@link #fingerprint(long)}); version >= base. Caller holds the monitor. */
    int fingerprint(int version) {
        long[] p = versions;
        return (int) PositionSlotDescriptor.fingerprint(p[version - (int) p[0] + 1], FINGERPRINT_BITS);
    }

    /** Versions whose positions are held (from {@link #base()} to {@link #assigned()}). */
    public int heldVersions() {
        int n = assigned;
        return Math.max(0, n - (int) versions[0]);
    }

    /** Slots of the array holding them (for tests and memory figures). */
    int heldCapacity() {
        return versions.length - 1;
    }

    /** Makes an empty stream start at {@code version}: its earlier versions were deleted. */
    void startAt(long version) {
        if (assigned != base()) {
            throw new IllegalStateException("only an empty stream can start later: " + this);
        }
        versions = new long[] {version};
        written = (int) version;
        assigned = (int) version;
    }

    /**
     * Drops the versions whose records lie below {@code firstPosition} (retention deleted their
     * segments), copying the rest into a right-sized array; an emptied stream keeps its next version.
     * Caller holds this entry's monitor, as an appender does. Returns how many versions were dropped.
     */
    int trim(long firstPosition) {
        long[] p = versions;
        int base = (int) p[0];
        int n = assigned - base;
        // Positions grow with versions: find the first slot at or beyond firstPosition.
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (PositionSlotDescriptor.position(p[mid + 1], FINGERPRINT_BITS) < firstPosition) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo == 0) {
            return 0;
        }
        long[] next = new long[n - lo + 1];
        next[0] = base + lo;
        System.arraycopy(p, lo + 1, next, 1, n - lo);
        versions = next; // release: a reader gets the new base with its slots, or the old pair
        return lo;
    }

    /** The fingerprint kept for an event whose dedup key is {@code key}. */
    static int fingerprint(long key) {
        return (int) ((key >>> 24) & FINGERPRINT_MASK);
    }

    /** Appends the next version and publishes it. Caller holds this entry's monitor (or is opening the index). */
    void add(long position, long key) {
        stage(position, key);
        publish();
    }

    /**
     * Writes the next version's slot without publishing it: the versions of one atomic batch are
     * staged, then {@link #publish}ed together. Caller holds this entry's monitor.
     */
    void stage(long position, long key) {
        long[] p = versions;
        int base = (int) p[0];
        int n = written - base;
        if (n + 1 == p.length) {
            // ~1.5x growth keeps small streams small: 10 events take an 11-slot array.
            p = Arrays.copyOf(p, 1 + Math.max(2, n + (n >> 1) + 1));
            versions = p; // the grown array holds every published slot: readers may take it early
        }
        p[n + 1] = PositionSlotDescriptor.pack(position, fingerprint(key), FINGERPRINT_BITS);
        written = base + n + 1;
    }

    /** Publishes the staged versions. Caller holds this entry's monitor. */
    void publish() {
        assigned = written; // release: publishes the staged slots (and a grown array) to readers
    }

    /**
     * Grows the positions so the next {@code count} versions stage without growing them: the store
     * stages under the log's append lock, where copying a large stream's array would stall every
     * appender. Caller holds this entry's monitor.
     */
    void makeRoom(int count) {
        long[] p = versions;
        int n = written - (int) p[0];
        if (n + count + 1 > p.length) {
            versions = Arrays.copyOf(p, Math.max(n + count + 1, 1 + Math.max(2, n + (n >> 1) + 1)));
        }
    }

    /** How many versions the positions array holds from the stream's first held one (for tests). */
    int capacity() {
        return versions.length - 1;
    }

    /** Drops the staged versions. Caller holds this entry's monitor. */
    void unstage() {
        written = assigned;
    }

    /** Versions given out, staged ones included. Caller holds this entry's monitor. */
    int written() {
        return written;
    }

    /**
     * The latest append to this stream that has not completed yet, or null. Appends commit in log
     * order, so once it completes every earlier append of the stream has committed too.
     */
    public CompletionStage<?> inFlight() {
        return inFlight;
    }

    public void inFlight(CompletionStage<?> stage) {
        inFlight = stage;
    }

    /** Clears the in-flight append when it is still {@code stage} (a later one may have replaced it). */
    public void completed(CompletionStage<?> stage) {
        IN_FLIGHT.compareAndSet(this, stage, null);
    }

    public synchronized void addListener(Runnable r) {
        Runnable[] next = Arrays.copyOf(listeners, listeners.length + 1);
        next[next.length - 1] = r;
        listeners = next;
    }

    public synchronized void removeListener(Runnable r) {
        Runnable[] cur = listeners;
        for (int i = 0; i < cur.length; i++) {
            if (cur[i] == r) {
                Runnable[] next = new Runnable[cur.length - 1];
                System.arraycopy(cur, 0, next, 0, i);
                System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                listeners = next;
                return;
            }
        }
    }

    /** Tells this stream's subscribers that more of it may be committed. */
    public void wakeListeners() {
        for (Runnable r : listeners) {
            r.run();
        }
    }

    @Override
    public String toString() {
        return "StreamEntry{id=" + id + ", name=" + name() + ", assigned=" + assigned + "}";
    }
}
