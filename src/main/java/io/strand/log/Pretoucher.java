package io.strand.log;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps the pages just ahead of the write position in the page cache and mapped, so the writer
 * (the appender with the pool off, the commit thread copying into the mapping with it on) does
 * not pay for allocating fresh pages, without touching a whole segment at once: touching 1 GiB of
 * cold memory costs this VM ~2 s of CPU and stalled every roll, so only a window of
 * {@code windowBytes} is kept warm.
 *
 * <p>The touch is a read. A write touch (even a compare-and-set of 0 to 0, which could never
 * clobber the writer's bytes) leaves dirty zero pages that every fdatasync then has to write:
 * measured, it cut single-appender sync rates about 2-3x. A read costs the writer only a cheap
 * write-protect fault later, and reading ahead of a concurrent writer is always safe.
 *
 * <p>When the writer outruns it (cold memory: on this VM a page the host reclaimed costs up to
 * ~10 us), it does not chase the writer page by page: it jumps to {@code leadBytes} past the
 * committed position. With the pool on, the commit thread's next writes (the pool's filled
 * buffers) lie in that gap and fault their own pages, while this thread faults the pages after
 * them: two CPUs on disjoint pages instead of one waiting for the other's locked folios in the
 * page cache. Measured at 1 KiB records, alternating runs: 1.1-1.4x the rate without the lead
 * (docs/LOG.md).
 *
 * <p>Owns the pre-touch thread and how far it touched. Reads the {@link CommittedPosition} (a
 * volatile load; it only needs a recent value) and segments through {@link Segments#retain}; it is
 * handed nothing else. Thread-safe: {@link #start()} and {@link #stop()} from the log's owner,
 * everything else on its own thread.
 */
final class Pretoucher implements Runnable {
    private static final int CHUNK_BYTES = 1 << 20;

    private final CommittedPosition committed;
    private final Segments segments;
    private final long windowBytes;
    private final long leadBytes;
    private final Thread thread;
    private volatile boolean stopping;
    private long touched;

    Pretoucher(CommittedPosition committed, Segments segments, long windowBytes, long leadBytes) {
        this.committed = committed;
        this.segments = segments;
        this.windowBytes = windowBytes;
        this.leadBytes = leadBytes;
        this.thread = new Thread(this, "strand-pretouch");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Keeps the JIT from dropping the reads. */
    private static volatile int sink;

    /** Reads one byte of every page of {@code [from, to)} of a segment; safe while writers write there. */
    static void touch(Segment s, int from, int to) {
        var buffer = s.buffer();
        int sum = 0;
        for (int offset = from & -Segment.PAGE_SIZE; offset < to; offset += Segment.PAGE_SIZE) {
            sum += buffer.get(offset);
        }
        sink = sum;
    }

    /**
     * Where to touch next: where it stopped, unless that is less than {@code leadBytes} past the
     * committed position. Then it skips ahead (to a page boundary) rather than fault the very pages
     * the writer is about to fill, where each would wait on the other's locked folios.
     */
    static long resumeAt(long touched, long committed, long leadBytes) {
        long start = committed + leadBytes;
        return touched < start ? start & -Segment.PAGE_SIZE : touched;
    }

    /** The first nap when caught up; it doubles while the log does not move, up to {@link #MAX_NAP_NANOS}. */
    static final long MIN_NAP_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
    /**
     * The longest nap: an idle log cost this thread 1,200-2,000 wake-ups/s at a fixed 500 us (1.5% of
     * a core in the kernel, per process: four of them on one machine in the cluster benchmark). The
     * window it keeps touched ahead covers what a writer starting again fills in that time.
     */
    static final long MAX_NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(16);

    /** The next nap after {@code nap}: doubled while the committed position stood still, else the first one again. */
    static long nextNap(long nap, boolean moved) {
        return moved ? MIN_NAP_NANOS : Math.min(MAX_NAP_NANOS, nap * 2);
    }

    @Override
    public void run() {
        long nap = MIN_NAP_NANOS;
        long lastCommitted = -1;
        while (!stopping) {
            long committedNow = committed.get();
            touched = resumeAt(touched, committedNow, leadBytes);
            long target = Math.min(committedNow + windowBytes, touched + CHUNK_BYTES);
            Segment s = touched < target ? segments.retain(touched) : null;
            if (s == null) {
                // Caught up, or the next segment does not exist yet (the allocator warms its start).
                nap = nextNap(nap, committedNow != lastCommitted);
                lastCommitted = committedNow;
                LockSupport.parkNanos(this, nap);
                continue;
            }
            try {
                int from = (int) (touched - s.basePosition());
                int to = (int) Math.min(s.size(), target - s.basePosition());
                touch(s, from, to);
                touched = s.basePosition() + to;
            } finally {
                s.release();
            }
        }
    }

    void stop() {
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
