package io.strand.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;

/**
 * One stream's in-memory index: the log position of each of its versions, in version order.
 * Versions are assigned by one appender at a time (the caller holds this entry's monitor); readers
 * on any thread see a version once {@link #assigned()} covers it, and treat it as existing only
 * when its position is below the log's committed position (see {@link StreamIndex#lastVersion}).
 *
 * <p>Memory: the name, one object and 8 bytes per event; a million ten-event streams take about
 * 250 MiB of heap (measured in {@code ScaleTest}).
 */
public final class StreamEntry {
    private static final long[] NONE = new long[0];

    private final int id;
    private final String name;
    /** Grown by the appender, published through {@link #assigned}'s volatile write. */
    private volatile long[] positions = NONE;
    private volatile int assigned;
    /** Woken (on the committing thread) when events of this stream are committed. */
    private volatile Runnable[] listeners = NO_LISTENERS;
    private static final Runnable[] NO_LISTENERS = new Runnable[0];
    /** The stage of this stream's latest append while it is in flight, else null. */
    private volatile CompletionStage<?> inFlight;
    private static final VarHandle IN_FLIGHT;

    static {
        try {
            IN_FLIGHT = MethodHandles.lookup().findVarHandle(StreamEntry.class, "inFlight", CompletionStage.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    StreamEntry(int id, String name) {
        this.id = id;
        this.name = name;
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** Versions given out so far, committed or not: the next version is this number. */
    public int assigned() {
        return assigned;
    }

    /** Log position of {@code version}; the caller checks {@code version < assigned()}. */
    public long position(long version) {
        return positions[(int) version];
    }

    /** Appends the positions of the next versions. Caller holds this entry's monitor (or is recovery). */
    void add(long position) {
        int n = assigned;
        long[] p = positions;
        if (n == p.length) {
            // ~1.5x growth keeps small streams small: 10 events take a 13-slot array.
            p = Arrays.copyOf(p, Math.max(2, n + (n >> 1) + 1));
            positions = p;
        }
        p[n] = position;
        assigned = n + 1; // release: publishes p[n] (and a grown array) to readers
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
        return "StreamEntry{id=" + id + ", name=" + name + ", assigned=" + assigned + "}";
    }
}
