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
 * <p>Owns the commit thread, its current segment reference, the sync-mode zeros ahead and the
 * roll failure (a segment that cannot be created, e.g. a full disk). It is handed what it needs
 * and nothing more: the pool to drain, a segment source ({@link Segments#retainForWrite}), the
 * {@link CommittedPosition} to advance, the {@link CommitNotifier} to tell, and the
 * {@link LogFailure} to set when it dies. Exists apart from {@link PooledWritePath} (the appender's
 * side of the pool, under the append lock) because it is the pool's one consumer thread.
 *
 * <p>Thread-safe where it says so: {@link #wake()}, {@link #alive()}, {@link #rollFailure()} and
 * {@link #drainAndStop()} may be called from any thread; everything else runs on the commit thread.
 * Memory ordering: a buffer's {@code written} (volatile, stored by the appender under the append
 * lock) is loaded here with acquire semantics before its bytes are read; the committed position's
 * volatile store in {@link CommittedPosition#advance} is the release that publishes them to readers.
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

    private final TransientStorePool pool;
    private final CommittedPosition committed;
    private final CommitNotifier notifier;
    private final LogFailure failure;
    private final Segments segments;
    private final Thread thread;
    private volatile boolean sleeping;
    private volatile boolean stopping;
    /** Why the next segment cannot be created while commits wait for it; null otherwise. Written by the commit thread. */
    private volatile IOException rollFailure;
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

    CommitService(TransientStorePool pool, Segments segments, CommittedPosition committed, CommitNotifier notifier,
                  LogFailure failure, boolean zeroAhead) {
        this.zeroAhead = zeroAhead;
        this.committed = committed;
        this.notifier = notifier;
        this.failure = failure;
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

    /** Why the next segment cannot be created (e.g. no space left) while commits wait for it; null otherwise. */
    IOException rollFailure() {
        return rollFailure;
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
            LOG.log(java.util.logging.Level.SEVERE, "commit thread failed: committedPosition=" + committed.get(), e);
            LogException f = failure.mark(new LogException("commit failed: committedPosition=" + committed.get() + ": " + e, e));
            committed.failWaiters(f);
            notifier.commitFailed(); // the flush thread fails its own waiters
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
            committed.advance(b.basePosition + written);
            notifier.afterCommit();
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
            zeroedTo = Math.max(zeroedTo, committed.get());
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
                if (rollFailure != null) {
                    LOG.info("a new segment could be created again at position " + position + ": writes resume");
                    rollFailure = null;
                }
                return s;
            } catch (IOException e) {
                if (rollFailure == null) {
                    LOG.warning("creating the segment at position " + position + " failed (" + e.getMessage()
                            + "); commits wait and retry until it succeeds");
                }
                rollFailure = e;
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
