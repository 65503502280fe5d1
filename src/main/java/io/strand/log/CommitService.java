package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The commit thread of the pooled write path: moves {@code [committed, written)} of each pool
 * buffer into its segment with a positional channel write (the page-cache pages the mapping reads;
 * measured against a copy into the mapping: 1.3-1.6 GB/s vs 0.7-0.8 GB/s at 1 KiB, see
 * docs/LOG.md), then advances the log's committed
 * position, which completes the waiting appends. Woken by appends, not by a timer, so a commit
 * never waits out a sleep (RocketMQ #1372).
 *
 * <p>Wake-up protocol (Dekker style, both sides volatile): the thread stores {@code sleeping=true}
 * and then re-reads the buffers before parking; an appender stores {@code written} and then reads
 * {@code sleeping}. One of the two always sees the other's store, so no wake-up is lost.
 */
final class CommitService implements Runnable {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(CommitService.class.getName());
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** A park shorter than this means appends come densely (see {@link SpinWait#YIELD_NANOS}). */
    private static final long BUSY_GAP_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    private final CommitLog log;
    private final TransientStorePool pool;
    private final Segments segments;
    private final Thread thread;
    private volatile boolean sleeping;
    private volatile boolean stopping;
    private Segment segment;
    /** Sync mode: zero the blocks ahead of the writer (see {@link #zeroAhead}). */
    private final boolean zeroAhead;
    /** Log position below which the current segment's blocks hold data or zeros written by this thread. */
    private long zeroedTo = -1;
    private OffHeap zerosMemory;
    static final int ZERO_CHUNK_BYTES = 1 << 20;
    /** Appends came densely lately: after the spin, yield before parking. Commit thread only. */
    private boolean busy;
    /** Cached so spinning allocates nothing. */
    private final java.util.function.BooleanSupplier hasWork = this::hasWork;

    CommitService(CommitLog log, TransientStorePool pool, Segments segments) {
        this.log = log;
        this.zeroAhead = log.config().flushMode() == FlushMode.SYNC;
        this.pool = pool;
        this.segments = segments;
        this.thread = new Thread(this, "strand-commit");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Called by appenders after publishing; cheap when the thread is busy. */
    void wake() {
        if (sleeping) {
            sleeping = false;
            LockSupport.unpark(thread);
        }
    }

    boolean alive() {
        return thread.isAlive();
    }

    @Override
    public void run() {
        try {
            while (true) {
                if (commitOnce()) {
                    continue;
                }
                if (stopping) {
                    return;
                }
                if (SpinWait.until(hasWork, busy)) {
                    continue;
                }
                sleeping = true;
                if (hasWork()) {
                    sleeping = false;
                    continue;
                }
                long parked = System.nanoTime();
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                sleeping = false;
                // Woken again soon: appends come densely, so yield rather than park next time.
                busy = System.nanoTime() - parked < BUSY_GAP_NANOS;
            }
        } catch (Throwable e) {
            // Errors too: a thread that dies silently leaves its waiters pending forever.
            LOG.log(java.util.logging.Level.SEVERE, "commit thread failed: committedPosition=" + log.committedPosition(), e);
            log.commitFailed(new LogException("commit failed: committedPosition=" + log.committedPosition() + ": " + e, e));
        } finally {
            if (segment != null) {
                segment.release();
                segment = null;
            }
            if (zerosMemory != null) {
                zerosMemory.free();
                zerosMemory = null;
            }
        }
    }

    private boolean hasWork() {
        WriteBuffer b = pool.oldestInUse();
        return b != null && (b.sealed || b.written > b.committed);
    }

    /** One step: commit what the oldest buffer holds, release it when sealed. True if it did anything. */
    private boolean commitOnce() throws IOException {
        WriteBuffer b = pool.oldestInUse();
        if (b == null) {
            return false;
        }
        boolean sealed = b.sealed; // read before written: a sealed buffer's written is final
        int written = b.written;
        boolean progressed = false;
        if (written > b.committed) {
            long from = b.basePosition + b.committed;
            Segment target = segmentFor(from);
            if (zeroAhead) {
                zeroAhead(target, b.basePosition + written);
            }
            ByteBuffer view = b.commitView;
            view.limit(written).position(b.committed);
            target.write(view, (int) (from - target.basePosition()));
            b.committed = written;
            log.advanceCommitted(b.basePosition + written);
            log.afterCommit();
            progressed = true;
        }
        if (sealed) {
            pool.release();
            progressed = true;
        }
        return progressed;
    }

    /**
     * Sync mode: before bytes up to {@code end} are written, writes zeros over the segment's blocks
     * from {@link #zeroedTo} to {@link #ZERO_CHUNK_BYTES} past {@code end}. The segment's blocks are
     * reserved with posix_fallocate as unwritten extents, and on ext4 every fdatasync whose range
     * reaches into one also commits the journal to convert it; with the zeros, one force per
     * chunk converts the chunk and the group commits after it, on written extents, write data only
     * (PostgreSQL zero-fills its WAL files for the same reason). Never below {@code zeroedTo},
     * which never trails the committed position, so committed bytes are never overwritten.
     */
    private void zeroAhead(Segment target, long end) throws IOException {
        if (zeroedTo < target.basePosition()) {
            zeroedTo = Math.max(zeroedTo, log.committedPosition());
            zeroedTo = Math.max(zeroedTo, target.basePosition());
        }
        if (end <= zeroedTo) {
            return;
        }
        long to = Math.min(target.endPosition(), end + ZERO_CHUNK_BYTES);
        int offset = (int) (zeroedTo - target.basePosition());
        int length = (int) (to - zeroedTo);
        if (zerosMemory == null) {
            zerosMemory = OffHeap.allocate(ZERO_CHUNK_BYTES + (1 << 20));
        }
        ByteBuffer zeros = zerosMemory.buffer();
        while (length > 0) {
            int n = Math.min(length, zeros.capacity());
            zeros.clear().limit(n);
            target.write(zeros, offset);
            offset += n;
            length -= n;
        }
        zeroedTo = to;
    }

    private Segment segmentFor(long position) throws IOException {
        if (segment == null || !segment.contains(position)) {
            Segment next = rollTo(position);
            if (segment != null) {
                segment.release();
            }
            segment = next;
        }
        return segment;
    }

    /**
     * The segment to write {@code position} into. When it cannot be created (a full disk: its blocks
     * are reserved up front, so this is an ordinary error, never SIGBUS) the bytes stay in the pool
     * and the commit retries with backoff until space returns; appends meanwhile wait or are refused
     * as overloaded. Only a stop gives up, failing the log.
     */
    private Segment rollTo(long position) throws IOException {
        long backoffMillis = 10;
        while (true) {
            try {
                Segment s = segments.retainForWrite(position);
                if (log.rollFailure() != null) {
                    LOG.info("a new segment could be created again at position " + position + ": writes resume");
                    log.rollFailure(null);
                }
                return s;
            } catch (IOException e) {
                if (log.rollFailure() == null) {
                    LOG.warning("creating the segment at position " + position + " failed (" + e.getMessage()
                            + "); commits wait and retry until it succeeds");
                }
                log.rollFailure(e);
                if (stopping) {
                    throw e;
                }
                LockSupport.parkNanos(this, backoffMillis * 1_000_000);
                backoffMillis = Math.min(1000, backoffMillis * 2);
            }
        }
    }

    /**
     * Commits everything already published, then stops the thread. Uninterruptible, because the
     * caller frees the pool's buffers next and the thread reads them until it ends (freed direct
     * memory reads garbage or crashes the JVM). An interrupt is kept for the caller.
     */
    void drainAndStop() {
        stopping = true;
        SpinWait.joinUninterruptibly(thread);
    }
}
