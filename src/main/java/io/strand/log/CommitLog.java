package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;

/**
 * The append-only log of every event of every stream, in fixed-size memory-mapped segments.
 *
 * <p>An append encodes a batch under a short lock into the current {@link WritePath} (a pool buffer,
 * or the mapping itself), and returns a stage that completes when the batch is committed (in the
 * mapped file: readable, and kept if the process dies) or, when asked, flushed (fdatasync). Positions
 * are byte offsets in the whole log and only grow: {@code flushed <= committed <= written}. Readers
 * see bytes below {@link #committedPosition()} only; the volatile store that advances it is the
 * release that publishes the bytes, the volatile load in readers the matching acquire.
 *
 * <p>Thread-safe. Stage callbacks run on the commit, flush or appending thread: keep them short
 * and hand real work to another executor.
 */
public final class CommitLog implements AutoCloseable {
    /** How far ahead of the write position pages are kept warm in async mode. */
    static final int PRETOUCH_WINDOW_BYTES = 64 << 20;

    private final LogConfig config;
    private final Segments segments;
    private final SegmentAllocator allocator;
    private final WritePath writePath;
    private final TransientStorePool pool;
    private final CommitService commitService;
    private final FlushService flushService;
    private final Pretoucher pretoucher;
    private final WaiterRing flushWaiters;
    private final LogRecovery.Recovered recovered;
    private final int maxBatchBytes;
    private final Durability defaultDurability;
    private final ReentrantLock appendLock = new ReentrantLock();
    private final CRC32C crc = new CRC32C();
    /** Copy-on-write array: iterated on every commit without allocating an iterator. */
    private volatile LongConsumer[] commitListeners = new LongConsumer[0];

    private volatile long committedPosition;
    /** End of the last accepted append (written, maybe not committed yet): for stall detection. */
    private volatile long writtenPosition;
    /** System.nanoTime() of the first refusal in the current run of pool-exhausted refusals, or 0. */
    private volatile long poolExhaustedSince;
    private volatile LongConsumer forceListener;
    private volatile IOException rollFailure;
    private volatile LogException failure;
    private boolean closed; // guarded by appendLock
    private volatile boolean shutdown;
    private DataDirLock lock; // set once by open

    private CommitLog(LogConfig config, LogRecovery.Recovered recovered) {
        this.config = config;
        this.recovered = recovered;
        this.maxBatchBytes = config.maxBatchBytes();
        this.defaultDurability = config.flushMode().defaultDurability();
        // Strategy, chosen once (measured, see docs/LOG.md): in async mode a 64 MiB window ahead of
        // the writer is kept in the page cache (read-touched), so neither the commit thread's pwrite
        // nor an appender writing through the mapping allocates fresh pages. Sync mode warms nothing.
        boolean warmAhead = config.flushMode() == FlushMode.ASYNC;
        int warmBytes = warmAhead ? PRETOUCH_WINDOW_BYTES : 0;
        this.allocator = new SegmentAllocator(config.commitLogDir(), config.segmentSize(), warmBytes);
        this.segments = new Segments(config.segmentSize(), recovered.segments(), allocator);
        long tail = recovered.tail();
        this.committedPosition = tail;
        this.writtenPosition = tail;
        this.flushWaiters = new WaiterRing(config.waitersCapacity());
        // After a crash, [recovered.flushed(), tail) may be in no disk's hands yet: the flush thread
        // forces it before the flushed position (and the checkpoint) can move past it.
        this.flushService = new FlushService(this, segments, flushWaiters, Checkpoint.checkpoint(config.dataDir()),
                recovered.flushed(), config.flushInterval().toNanos(), config.checkpointInterval().toNanos());
        if (config.poolEnabled()) {
            this.pool = new TransientStorePool(config.poolBuffers(), config.poolBufferSize());
            this.commitService = new CommitService(this, pool, segments);
            this.writePath = new PooledWritePath(pool, commitService, new WaiterRing(config.waitersCapacity()),
                    config.segmentSize(), tail);
        } else {
            this.pool = null;
            this.commitService = null;
            this.writePath = new MappedWritePath(this, segments, tail);
        }
        // With the pool on, the commit thread's next pwrite covers up to the pool's filled buffers:
        // a lagging pre-toucher resumes beyond two of them (measured; see Pretoucher), within half its window.
        long leadBytes = config.poolEnabled() ? Math.min(2L * config.poolBufferSize(), warmBytes / 2) : 0;
        this.pretoucher = warmBytes > 0 ? new Pretoucher(this, segments, warmBytes, leadBytes) : null;
        // Have the segment the writer needs next ready before anyone appends: the tail's own
        // segment when it does not exist yet, else the one after the last.
        allocator.prepareAsync(segments.find(tail) == null ? segments.baseOf(tail)
                : segments.baseOf(tail) + config.segmentSize());
    }

    /** Recovers the log in {@code config.dataDir()} and starts its threads. */
    public static CommitLog open(LogConfig config) throws IOException {
        return open(config, new RecoveryProgress());
    }

    /** As {@link #open(LogConfig)}, reporting the recovery scan's progress to {@code progress}. */
    public static CommitLog open(LogConfig config, RecoveryProgress progress) throws IOException {
        DataDirLock lock = DataDirLock.acquire(config.dataDir());
        CommitLog log;
        try {
            LogRecovery.Recovered recovered = new LogRecovery(config, progress).recover();
            try {
                log = new CommitLog(config, recovered);
            } catch (RuntimeException | Error e) {
                // E.g. no direct memory for the pool: do not leave the recovered segments mapped.
                for (Segment s : recovered.segments()) {
                    s.release();
                }
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            lock.close();
            throw e;
        }
        log.lock = lock;
        if (log.commitService != null) {
            log.commitService.start();
        }
        log.flushService.start();
        if (log.pretoucher != null) {
            log.pretoucher.start();
        }
        return log;
    }

    // ---------------------------------------------------------------- append

    /** Appends with the server's default durability. */
    public LogAppend append(EventRecord[] records, int count, long firstVersion) {
        return append(records, count, firstVersion, defaultDurability);
    }

    /**
     * Appends {@code records[0..count)} as one atomic batch with stream versions from
     * {@code firstVersion}. Never blocks on I/O when the pool is enabled. The stage fails with
     * {@link LogOverloadedException} (nothing written) when the log cannot take it now, with
     * {@link IllegalArgumentException} when the batch is larger than {@link #maxBatchBytes()}, and
     * with {@link LogException} when the log failed or is closed.
     */
    public LogAppend append(EventRecord[] records, int count, long firstVersion, Durability durability) {
        if (count <= 0 || count > records.length) {
            return LogAppend.refused(new IllegalArgumentException("bad batch: count=" + count));
        }
        int length = 0;
        for (int i = 0; i < count; i++) {
            length += records[i].framedLength();
            if (length > maxBatchBytes || length < 0) {
                return LogAppend.refused(new BatchTooLargeException(
                        "batch too large: bytes>=" + length + ", maxBatchBytes=" + maxBatchBytes));
            }
        }
        WaiterRing waiters = durability == Durability.FLUSHED ? flushWaiters : writePath.commitWaiters();
        AppendResult result;
        LogAppend future;
        appendLock.lock();
        try {
            if (closed || failure != null) {
                return LogAppend.refused(failure != null ? failure : new LogException("log is closed"));
            }
            if (waiters != null && !waiters.hasSpace()) {
                return LogAppend.refused(LogOverloadedException.TOO_MANY_WAITERS);
            }
            if (!writePath.reserve(length)) {
                if (poolExhaustedSince == 0) {
                    poolExhaustedSince = System.nanoTime() | 1;
                }
                return LogAppend.refused(LogOverloadedException.POOL_EXHAUSTED);
            }
            if (poolExhaustedSince != 0) {
                poolExhaustedSince = 0;
            }
            ByteBuffer target = writePath.target();
            ByteBuffer crcView = writePath.crcView();
            int offset = writePath.targetOffset();
            long position = writePath.position();
            long timestamp = System.currentTimeMillis();
            for (int i = 0; i < count; i++) {
                int flags = i < count - 1 ? RecordDescriptor.FLAG_BATCH_CONTINUES : 0;
                offset += RecordDescriptor.encode(target, crcView, crc, offset, records[i], firstVersion + i,
                        timestamp, flags);
            }
            long end = position + length;
            result = new AppendResult(position, end, firstVersion, count);
            future = new LogAppend(result);
            if (waiters != null) {
                waiters.add(end, future, result);
            }
            writePath.publish(end);
            writtenPosition = end;
        } catch (IOException | RuntimeException e) {
            // Nothing was published: the write position did not move past anything unwritten.
            LogException failed = e instanceof LogException le ? le : new LogException("append failed: " + e, e);
            return LogAppend.refused(failed);
        } finally {
            appendLock.unlock();
        }
        writePath.signal();
        if (waiters == null) {
            future.complete(result);
        }
        return future;
    }

    /**
     * Completes once everything below {@code position} (a committed position) has been forced to
     * disk: at once when it already is, else with the next group commit. For a repeat of an append
     * that asks for fsync durability after the original did not.
     */
    public CompletionStage<Long> awaitFlush(long position) {
        if (flushService.flushedPosition() >= position) {
            return CompletableFuture.completedFuture(position);
        }
        CompletableFuture<Long> f = new CompletableFuture<>();
        appendLock.lock();
        try {
            if (closed || failure != null) {
                return CompletableFuture.failedFuture(failure != null ? failure : new LogException("log is closed"));
            }
            if (!flushWaiters.hasSpace()) {
                return CompletableFuture.failedFuture(LogOverloadedException.TOO_MANY_WAITERS);
            }
            flushWaiters.add(position, f, position);
        } finally {
            appendLock.unlock();
        }
        // A flush covering position may have landed between the check above and the add, and
        // drained the ring before the add: the flush thread would then park a whole interval.
        // Dekker on two volatiles (it stores flushed, then reads the ring's tail; this stores the
        // tail, then reads flushed): one of the two sees the other. The slot is freed by the next
        // drain, whose second complete is a no-op.
        if (flushService.flushedPosition() >= position) {
            f.complete(position);
        } else {
            flushService.wake();
        }
        return f;
    }

    /** Told the duration in nanoseconds of every fdatasync (on the flush thread): for a latency histogram. */
    public void onForce(LongConsumer listener) {
        forceListener = listener;
    }

    void forced(long nanos) {
        LongConsumer l = forceListener;
        if (l != null) {
            l.accept(nanos);
        }
    }

    /** Advances the committed position (commit thread, or the appender in mapped mode). */
    void advanceCommitted(long position) {
        committedPosition = position;
        WaiterRing commitWaiters = writePath.commitWaiters();
        if (commitWaiters != null) {
            commitWaiters.completeUpTo(position);
        }
    }

    /** After a commit, outside the append lock: wake the flush thread for sync waiters, tell listeners. */
    void afterCommit() {
        if (!flushWaiters.isEmpty()) {
            flushService.wake();
        }
        LongConsumer[] listeners = commitListeners;
        if (listeners.length > 0) {
            long p = committedPosition;
            for (LongConsumer l : listeners) {
                l.accept(p);
            }
        }
    }

    /**
     * Marks the log failed (the first cause wins) and returns the failure: later appends are refused.
     * Under the append lock, so every appender that passed the failure check has registered its
     * waiter before this returns: a waiter ring drained after this call holds every waiter that
     * will ever need failing. Each ring is failed by its own consumer thread.
     */
    LogException markFailed(LogException cause) {
        appendLock.lock();
        try {
            if (failure == null) {
                failure = cause;
            }
            return failure;
        } finally {
            appendLock.unlock();
        }
    }

    /** Commit thread, dying: fails the log and the commit waiters; the flush thread fails its own. */
    void commitFailed(LogException cause) {
        LogException f = markFailed(cause);
        WaiterRing commitWaiters = writePath.commitWaiters();
        if (commitWaiters != null) {
            commitWaiters.failAll(f);
        }
        flushService.wakeNow();
    }

    /**
     * Registers a listener told the new committed position after each commit. It runs on the
     * committing thread (with the pool off: on appending threads, possibly several at once, and a
     * position may be reported after a larger one), must be thread-safe and must not block;
     * typically it wakes subscribers, which then read {@link #committedPosition()} themselves.
     */
    public synchronized void addCommitListener(LongConsumer listener) {
        LongConsumer[] next = Arrays.copyOf(commitListeners, commitListeners.length + 1);
        next[next.length - 1] = listener;
        commitListeners = next;
    }

    public synchronized void removeCommitListener(LongConsumer listener) {
        LongConsumer[] current = commitListeners;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == listener) {
                LongConsumer[] next = new LongConsumer[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                commitListeners = next;
                return;
            }
        }
    }

    // ---------------------------------------------------------------- read

    /** The first position still held by the log. */
    public long firstPosition() {
        return segments.firstPosition();
    }

    /** Everything below is readable and survives the process being killed. */
    public long committedPosition() {
        return committedPosition;
    }

    /** End of the last append the log accepted; {@code committed <= written}. */
    public long writtenPosition() {
        return writtenPosition;
    }

    /** How long appends have been refused because the pool was full, in nanoseconds; 0 when not. */
    public long poolExhaustedNanos() {
        long since = poolExhaustedSince;
        return since == 0 ? 0 : Math.max(1, System.nanoTime() - since);
    }

    /** Why the next segment cannot be created (e.g. no space left) while commits wait for it; null otherwise. */
    public IOException rollFailure() {
        return rollFailure;
    }

    void rollFailure(IOException e) {
        rollFailure = e;
    }

    /** Everything below survives power loss. */
    public long flushedPosition() {
        return flushService.flushedPosition();
    }

    /** fdatasync calls made so far; with group commit far fewer than flushed appends. */
    public long forceCount() {
        return flushService.forces();
    }

    /**
     * Raw committed bytes from {@code position}: at most {@code maxBytes}, never beyond the end of
     * the position's segment. Returns null when nothing is committed there yet. The slice holds a
     * reference to its segment until it is closed.
     */
    public LogSlice read(long position, int maxBytes) {
        long committed = committedPosition;
        if (position < firstPosition() || position > committed) {
            throw new IllegalArgumentException("position out of range: position=" + position
                    + ", first=" + firstPosition() + ", committed=" + committed);
        }
        if (position == committed) {
            return null;
        }
        Segment s = segments.retain(position);
        if (s == null) {
            throw new IllegalArgumentException("position no longer held: position=" + position);
        }
        int offset = (int) (position - s.basePosition());
        int length = (int) Math.min(Math.min(maxBytes, committed - position), s.size() - offset);
        return new LogSlice(position, s, s.slice(offset, length));
    }

    /**
     * Exactly the committed record at {@code position}, which must be a record position the log
     * gave out (an {@link AppendResult}, a cursor, or the index built from them): it is not checked
     * against the CRC. Null when the record is not committed yet. Close the slice to release the segment.
     */
    public LogSlice readRecord(long position) {
        if (position < firstPosition()) {
            throw new IllegalArgumentException("position no longer held: position=" + position
                    + ", first=" + firstPosition());
        }
        if (position >= committedPosition) {
            return null;
        }
        Segment s = segments.retain(position);
        if (s == null) {
            throw new IllegalArgumentException("position no longer held: position=" + position);
        }
        int offset = (int) (position - s.basePosition());
        int length = RecordDescriptor.length(s.buffer(), offset);
        if (length < RecordDescriptor.HEADER_LENGTH || length > s.size() - offset
                || RecordDescriptor.isEndOfSegment(s.buffer(), offset)) {
            s.release();
            throw new LogException("no record at position=" + position + ", length=" + length);
        }
        return new LogSlice(position, s, s.slice(offset, length));
    }

    /**
     * The committed bytes of the segment holding {@code position}, from the segment's start: one
     * reference for many records of the segment (readers slice records out by their offsets).
     * Null when nothing is committed there yet. Close it to release the segment.
     */
    public LogSlice readSegment(long position) {
        long committed = committedPosition;
        if (position < firstPosition() || position >= committed) {
            return null;
        }
        Segment s = segments.retain(position);
        if (s == null) {
            throw new IllegalArgumentException("position no longer held: position=" + position);
        }
        int length = (int) Math.min(committed - s.basePosition(), s.size());
        return new LogSlice(s.basePosition(), s, s.slice(0, length));
    }

    /**
     * The whole records from {@code position} (a record boundary) that fit in {@code maxBytes}
     * (always at least one) and lie in the same segment, as a file range for sendfile. A segment
     * file is never changed below the committed position, so the range stays valid while the file
     * exists. Returns an empty range (no file) when nothing is committed at {@code position} yet.
     * Throws {@link IllegalArgumentException} when retention deleted the segment (as {@link #read}
     * does); it may still delete the file after this returns, and a sendfile of it then fails.
     */
    public LogRange range(long position, int maxBytes) {
        try (LogCursor c = cursor(position)) {
            if (!c.next()) {
                return new LogRange(null, 0, 0, position, position);
            }
            // Taken from the segment the cursor holds: looking it up again after the scan found
            // nothing (and threw NullPointerException) when retention had dropped it meanwhile.
            Segment s = c.segment();
            long base = s.basePosition();
            long start = c.position();
            long end = c.nextPosition();
            long next = committedPosition;
            while (c.next()) {
                if (segments.baseOf(c.position()) != base || c.nextPosition() - start > maxBytes) {
                    next = c.position();
                    break;
                }
                end = c.nextPosition();
                next = end;
            }
            if (segments.find(base) != s) {
                throw new IllegalArgumentException("position no longer held: position=" + start
                        + ", first=" + firstPosition());
            }
            return new LogRange(s.file(), start - base, (int) (end - start), start, next);
        } catch (IllegalStateException gone) {
            // The cursor found the segment deleted by retention after it was created.
            throw new IllegalArgumentException(gone.getMessage(), gone);
        }
    }

    /**
     * The position below which retention may delete whole segments: the end of the longest run of
     * oldest segments each of which is older than {@code maxAgeMillis} (its newest record, bounded
     * by the next segment's first record, was appended before {@code nowMillis - maxAgeMillis}) or
     * lies wholly more than {@code maxBytes} behind the committed position. 0 or less disables a
     * limit. Never cuts into the segment being written or not yet flushed.
     */
    public long retentionCut(long maxAgeMillis, long maxBytes, long nowMillis) {
        Segment[] segs = segments.snapshot();
        long committed = committedPosition;
        long cut = segments.firstPosition();
        for (int i = 0; i + 1 < segs.length; i++) {
            Segment s = segs[i];
            boolean tooBig = maxBytes > 0 && committed - s.endPosition() >= maxBytes;
            boolean tooOld = false;
            if (maxAgeMillis > 0 && committed > segs[i + 1].basePosition()) {
                try (LogSlice next = readRecord(segs[i + 1].basePosition())) {
                    tooOld = next != null
                            && RecordDescriptor.timestamp(next.buffer(), 0) < nowMillis - maxAgeMillis;
                } catch (RuntimeException gone) {
                    tooOld = false;
                }
            }
            if (!tooBig && !tooOld) {
                break;
            }
            cut = s.endPosition();
        }
        return cut;
    }

    /**
     * Deletes the whole segments below {@code position} (a segment boundary from
     * {@link #retentionCut}), except those holding unflushed or uncommitted bytes. Readers holding a
     * segment keep reading it; new reads below the new {@link #firstPosition()} are refused.
     * Returns how many segments were deleted.
     */
    public int deleteBefore(long position) throws IOException {
        long keepFrom = segments.baseOf(Math.min(committedPosition, flushService.flushedPosition()));
        return segments.removeBefore(position, keepFrom);
    }

    /** A cursor over the records from {@code position}, which must be a record boundary. */
    public LogCursor cursor(long position) {
        return new LogCursor(this, segments, position);
    }

    // ---------------------------------------------------------------- status

    public LogConfig config() {
        return config;
    }

    public int maxBatchBytes() {
        return maxBatchBytes;
    }

    /** The pool, or null when appends go straight into the mapping. */
    public TransientStorePool pool() {
        return pool;
    }

    public boolean recoveredCleanly() {
        return recovered.clean();
    }

    /** Bytes validated by the crash-recovery scan at open (0 after a clean shutdown). */
    public long recoveryScannedBytes() {
        return recovered.scannedBytes();
    }

    public int segmentCount() {
        return segments.count();
    }

    /** Null while healthy; the error that stopped the commit thread otherwise. */
    public LogException failure() {
        return failure;
    }

    /** The last flush error while flushes keep failing; null once a flush succeeds. */
    public IOException flushFailure() {
        return flushService.failure();
    }

    /** True while the commit thread (pooled mode) and the flush thread run. */
    public boolean threadsAlive() {
        return !shutdown && (commitService == null || commitService.alive()) && flushService.alive();
    }

    /** For tests in this package: replaces the flush thread's fdatasync (to inject failures). */
    void forcer(FlushService.Forcer forcer) {
        flushService.forcer(forcer);
    }

    /** Bytes the flush thread wrote again after failed forces, before forcing them again. */
    long flushRewrittenBytes() {
        return flushService.rewrittenBytes();
    }

    /** For tests in this package: the segment list (its monitor stalls writers that roll). */
    Segments segments() {
        return segments;
    }

    // ---------------------------------------------------------------- close

    /**
     * Refuses new appends and waits until everything appended is committed; reads keep working.
     * The first step of a clean shutdown, so the index can catch up before {@link #close()}.
     */
    public synchronized void stopAppends() throws IOException {
        appendLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (writePath instanceof PooledWritePath pooled) {
                pooled.seal();
            }
        } finally {
            appendLock.unlock();
        }
        writePath.drain();
    }

    /**
     * Clean shutdown: refuses new appends, commits and flushes everything, writes the checkpoint and
     * the clean-shutdown marker, releases the log's segment references and the pool.
     */
    @Override
    public synchronized void close() throws IOException {
        if (shutdown) {
            return;
        }
        // An interrupted thread's FileChannel calls close the channel (ClosedByInterruptException):
        // the final flush and the markers would fail and the segments become unusable. Close with
        // the flag cleared, and hand it back afterwards.
        boolean interrupted = Thread.interrupted();
        try {
            closeUninterrupted();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeUninterrupted() throws IOException {
        stopAppends();
        try {
            flushService.stopAndFlush();
            if (failure == null) {
                Checkpoint.cleanShutdownMarker(config.dataDir()).write(flushService.flushedPosition());
            }
        } finally {
            shutdown = true;
            if (pretoucher != null) {
                pretoucher.stop();
            }
            writePath.close();
            allocator.close();
            segments.releaseAll();
            if (lock != null) {
                lock.close();
            }
        }
    }
}
