package io.strand.log;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The flush thread: forces committed bytes to disk with fdatasync. In async mode it flushes on an
 * interval; appends that asked for {@link Durability#FLUSHED} wake it at once, and it runs as a
 * group commit: one force covers every append committed by the time it starts, and completes all
 * of their stages. It only ever flushes up to the committed position, and is woken again by the
 * commit step when committed bytes that waiters need arrive, so a sync waiter never waits for a
 * commit that nobody drives (RocketMQ #7523). Also rewrites the checkpoint, at most once per
 * checkpoint interval.
 *
 * <p>A failed force is not fatal (readiness reports it until a flush succeeds), but it is not
 * forgotten either: after it, Linux may have dropped the failed pages' dirty state, and a later
 * force would succeed without writing them. So the flushed position (and with it the checkpoint)
 * stays below the failed range until the range has been written again from the mapping through
 * the channel and forced (docs/LOG.md, "Flush errors").
 *
 * <p>Owns the flush thread, the flushed position, the FLUSHED waiters' completion, the checkpoint
 * file and the force listener. Handed what it needs instead of the log: the
 * {@link CommittedPosition} to read (never to advance), the segments to force, and the
 * {@link LogFailure} to read and set. Exists apart from {@link CommitService} because it does the
 * slow, blocking half (fdatasync) and must never hold the commit thread up.
 *
 * <p>Thread-safe where it says so: {@link #wake()}, {@link #wakeNow()}, the getters and
 * {@link #onForce} may be called from any thread; {@link #flushOnce()} runs on the flush thread, or
 * on the closing thread after the flush thread ended. The volatile store of {@code flushedPosition}
 * (after the force) pairs with the volatile loads in {@link #flushedPosition()} (retention,
 * {@code awaitFlush}); the committed position is read with its acquire load before forcing, so
 * the force covers every byte below it. {@code awaitFlush}'s Dekker check pairs this thread's
 * store of {@code flushedPosition} followed by its read of the waiter ring's tail with the
 * appender's store of the tail followed by its read of {@code flushedPosition}.
 */
final class FlushService implements Runnable {
    private static final Logger LOG = Logger.getLogger(FlushService.class.getName());

    private final CommittedPosition committed;
    private final LogFailure logFailure;
    private final Segments segments;
    private final WaiterRing waiters;
    private final Checkpoint checkpoint;
    private final long intervalNanos;
    private final long checkpointIntervalNanos;
    private final Thread thread;
    private volatile boolean sleeping;
    private volatile boolean stopping;
    private volatile long flushedPosition;
    private volatile IOException failure;
    private volatile long forces;
    private volatile long rewrittenBytes;
    /** End of the failed forces' range; while above flushed, the next flush first rewrites [flushed, it). */
    private long rewriteTo;
    /** The fdatasync; replaced only by tests in this package, to inject failures. */
    private volatile Forcer forcer = Segment::force;
    /** Told each fdatasync's duration (a latency histogram); null when nobody listens. */
    private volatile java.util.function.LongConsumer forceListener;
    private long checkpointed = -1;
    private long lastCheckpointNanos;
    private long lastFlushNanos;
    /** Cached so spinning allocates nothing. */
    private final java.util.function.BooleanSupplier waitersCanProgress = this::waitersCanProgress;

    /** Forces one segment to disk. */
    interface Forcer {
        void force(Segment segment) throws IOException;
    }

    FlushService(CommittedPosition committed, LogFailure logFailure, Segments segments, WaiterRing waiters,
                 Checkpoint checkpoint, long flushedPosition, long intervalNanos, long checkpointIntervalNanos) {
        this.committed = committed;
        this.logFailure = logFailure;
        this.segments = segments;
        this.waiters = waiters;
        this.checkpoint = checkpoint;
        this.flushedPosition = flushedPosition;
        this.checkpointed = flushedPosition;
        this.intervalNanos = intervalNanos;
        this.checkpointIntervalNanos = checkpointIntervalNanos;
        this.thread = new Thread(this, "strand-flush");
        this.thread.setDaemon(true);
    }

    void start() {
        lastFlushNanos = System.nanoTime();
        lastCheckpointNanos = lastFlushNanos;
        thread.start();
    }

    long flushedPosition() {
        return flushedPosition;
    }

    /** fdatasync calls made so far (one per segment per flush); written by the flush thread only. */
    long forces() {
        return forces;
    }

    /** Bytes written again after failed forces (each failed range once per retry). */
    long rewrittenBytes() {
        return rewrittenBytes;
    }

    void forcer(Forcer f) {
        forcer = f;
    }

    /** Tells {@code listener} the duration in nanoseconds of every fdatasync, on the flush thread. */
    void onForce(java.util.function.LongConsumer listener) {
        forceListener = listener;
    }

    /** The last flush error, if the most recent flush failed (readiness reports it); null otherwise. */
    IOException failure() {
        return failure;
    }

    boolean alive() {
        return thread.isAlive();
    }

    void wakeNow() {
        LockSupport.unpark(thread);
    }

    void wake() {
        if (sleeping) {
            sleeping = false;
            LockSupport.unpark(thread);
        }
    }

    private boolean waitersCanProgress() {
        return !waiters.isEmpty() && committed.get() > flushedPosition;
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (Throwable e) {
            // Whatever killed the thread (an Error, a listener's exception): fail the log and the
            // waiters instead of leaving them pending; alive() turns false for the liveness probe.
            LOG.log(Level.SEVERE, "flush thread failed: flushedPosition=" + flushedPosition, e);
            LogException f = logFailure.mark(new LogException("flush thread failed: flushedPosition="
                    + flushedPosition + ": " + e, e));
            waiters.failAll(f);
        }
    }

    private void loop() {
        while (!stopping) {
            if (logFailure.get() != null && !waiters.isEmpty()) {
                // Nothing will be committed any more: flush what is, fail the rest.
                flushOnce();
                waiters.failAll(logFailure.get());
            }
            if (!waiters.isEmpty()) {
                // A waiter may ask for bytes already flushed (awaitFlush racing a flush): answer it now.
                waiters.completeUpTo(flushedPosition);
            }
            long now = System.nanoTime();
            boolean due = now - lastFlushNanos >= intervalNanos;
            if (waitersCanProgress() || (due && committed.get() > flushedPosition)) {
                flushOnce();
                continue;
            }
            if (due) {
                lastFlushNanos = now;
            }
            maybeCheckpoint(false);
            if (!waiters.isEmpty() && SpinWait.until(waitersCanProgress)) {
                continue;
            }
            sleeping = true;
            if (waitersCanProgress() || stopping) {
                sleeping = false;
                continue;
            }
            LockSupport.parkNanos(this, Math.max(TimeUnit.MICROSECONDS.toNanos(100), intervalNanos - (now - lastFlushNanos)));
            sleeping = false;
        }
    }

    /** Forces every segment holding bytes in {@code [flushed, committed)} and completes the waiters it covers. */
    void flushOnce() {
        long target = committed.get();
        long from = flushedPosition;
        lastFlushNanos = System.nanoTime();
        if (target <= from) {
            return;
        }
        try {
            if (rewriteTo > from) {
                rewrite(from, rewriteTo);
            }
            long at = from;
            while (at < target) {
                Segment s = segments.retain(at);
                if (s == null) {
                    throw new IOException("no segment holds committed bytes: position=" + at);
                }
                try {
                    long started = System.nanoTime();
                    forcer.force(s);
                    java.util.function.LongConsumer listener = forceListener;
                    if (listener != null) {
                        listener.accept(System.nanoTime() - started);
                    }
                    forces++;
                    at = s.endPosition();
                } finally {
                    s.release();
                }
            }
            if (failure != null) {
                LOG.info("flush succeeded again: flushedPosition=" + target);
            }
            failure = null;
            rewriteTo = 0; // target >= rewriteTo: committed only grows
            flushedPosition = target;
            waiters.completeUpTo(target);
            maybeCheckpoint(false);
        } catch (IOException e) {
            // Bytes stay committed (readable, kept on kill -9); a later flush rewrites and retries
            // them. The waiters for this range are failed: their bytes are not known to be on disk.
            if (failure == null) {
                LOG.log(Level.SEVERE, "flush failed: flushedPosition=" + from + ", target=" + target, e);
            }
            failure = e;
            rewriteTo = Math.max(rewriteTo, target);
            waiters.failUpTo(target, new LogException("flush failed: flushedPosition=" + from + ", target=" + target + ": " + e, e));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    /**
     * Writes {@code [from, to)} again, from the mapping through the channel, so that its pages are
     * dirty again and the next force really writes them: after a failed writeback Linux marks the
     * pages clean (the error is reported once), and they keep the bytes the mapping shows. Copied
     * through a scratch buffer rather than written from the mapping of the very pages it writes.
     */
    private void rewrite(long from, long to) throws IOException {
        verify(from, to);
        OffHeap scratchMemory = OffHeap.allocate((int) Math.min(to - from, 1 << 20));
        java.nio.ByteBuffer scratch = scratchMemory.buffer();
        try {
            long at = from;
            while (at < to) {
                Segment s = segments.retain(at);
                if (s == null) {
                    throw new IOException("no segment holds committed bytes: position=" + at);
                }
                try {
                    int offset = (int) (at - s.basePosition());
                    int length = (int) Math.min(Math.min(to - at, s.size() - offset), scratch.capacity());
                    scratch.clear().put(s.slice(offset, length)).flip();
                    s.write(scratch, offset);
                    at += length;
                } finally {
                    s.release();
                }
            }
            rewrittenBytes += to - from;
        } finally {
            scratchMemory.free();
        }
    }

    /**
     * Checks that {@code [from, to)} still holds valid records (CRC32C) before it is written again:
     * pages whose write-back failed may have been evicted since, and reading them back gives what
     * the disk held (zeros of the preallocated extent, say), not what was committed. Rewriting and
     * forcing those would make lost bytes look durable, so the log fails instead (appends refused,
     * liveness DOWN): committed records were lost and only an operator can decide what follows.
     */
    private void verify(long from, long to) {
        TailScanner scanner = new TailScanner();
        long at = from;
        while (at < to) {
            Segment s = segments.retain(at);
            if (s == null) {
                throw logFailure.mark(new LogException("no segment holds committed bytes: position=" + at));
            }
            try {
                TailScanner.Result r = scanner.scan(s.buffer(), (int) (at - s.basePosition()));
                long validEnd = r.endOfSegment() ? s.endPosition() : s.basePosition() + r.validEnd();
                if (validEnd < Math.min(to, s.endPosition())) {
                    throw logFailure.mark(new LogException("committed bytes no longer validate after a failed write-back (the"
                            + " kernel dropped pages it could not write): position=" + validEnd + ", flushedPosition=" + from
                            + ", failedRangeEnd=" + to + "; the log stops taking writes"));
                }
                at = s.endPosition();
            } finally {
                s.release();
            }
        }
    }

    private void maybeCheckpoint(boolean force) {
        maybeCheckpoint(force, flushedPosition);
    }

    /** Writes {@code position} (a batch boundary at or below the flushed position) as the checkpoint. */
    private void maybeCheckpoint(boolean force, long position) {
        long now = System.nanoTime();
        if (position == checkpointed || (!force && now - lastCheckpointNanos < checkpointIntervalNanos)) {
            return;
        }
        try {
            checkpoint.write(position);
            checkpointed = position;
            lastCheckpointNanos = now;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "writing the checkpoint failed: position=" + position, e);
        }
    }

    /**
     * Stops the thread, then flushes everything committed and writes the checkpoint from the caller:
     * at {@code lastBatch}, where the last batch starts (-1: none), rather than at the tail, so the
     * next open finds that batch's timestamp and raft index by verifying one batch, not a segment.
     * Recovery may trust it as any checkpoint: it is a batch boundary below the flushed position.
     */
    void stopAndFlush(long lastBatch) throws IOException {
        stopping = true;
        SpinWait.joinUninterruptibly(thread); // the final flush must not run next to the thread's own
        try {
            flushOnce();
        } catch (LogException e) {
            if (logFailure.get() != e) {
                throw e;
            }
            // The log already failed for this (lost committed bytes): no final flush or checkpoint.
            LOG.log(Level.WARNING, "no final flush: " + e.getMessage());
            return;
        }
        if (failure != null) {
            throw failure;
        }
        long flushed = flushedPosition;
        maybeCheckpoint(true, lastBatch >= 0 && lastBatch < flushed ? lastBatch : flushed);
    }
}
