package io.strand.log;

import java.io.IOException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * The append-only log of every event of every stream, in fixed-size memory-mapped segments: the
 * facade the store, the index and the edge use. It opens (recovers) the log, wires the parts below
 * together, and closes them; every other call is handed to the part whose one job it is.
 *
 * <p>The parts: {@link LogAppender} (appends, under the append lock), a {@link WritePath}
 * ({@link PooledWritePath} with the {@link CommitService} thread, or {@link MappedWritePath}), the
 * {@link FlushService} thread, {@link LogReader} and {@link LogCursor} (verified reads, reporting to
 * {@link CorruptRecords}), the {@link Scrubber} thread, {@link LogRetention}, and {@link Segments}
 * with their {@link SegmentAllocator} and {@link Pretoucher}; {@link LogThreads} starts and stops
 * the threads. They share narrow state ({@link CommittedPosition}, {@link CommitNotifier},
 * {@link LogFailure}), never this class.
 *
 * <p>An append encodes a batch under a short lock into the current {@link WritePath} (a pool buffer,
 * or the mapping itself), and returns a stage that completes when the batch is committed (in the
 * mapped file: readable, and kept if the process dies) or, when asked, flushed (fdatasync). Positions
 * are byte offsets in the whole log and only grow: {@code flushed <= committed <= written}. Readers
 * see bytes below {@link #committedPosition()} only; the volatile store that advances it
 * ({@link CommittedPosition#advance}) is the release that publishes the bytes, the volatile load in
 * readers the matching acquire.
 *
 * <p>Thread-safe. Stage callbacks run on the commit, flush or appending thread: keep them short
 * and hand real work to another executor. {@link #stopAppends()} and {@link #close()} are
 * synchronized on this object; nothing else locks it.
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
    private final LogThreads threads;
    private final LogRecovery.Recovered recovered;
    private final Durability defaultDurability;
    private final CommittedPosition committed;
    private final CommitNotifier notifier;
    private final LogFailure failure;
    private final LogAppender appender;
    private final LogReader reader;
    private final LogRetention retention;
    private final LogIntegrity integrity;
    private volatile boolean shutdown;
    private final DataDirLock lock;

    private CommitLog(LogConfig config, LogRecovery.Recovered recovered, DataDirLock lock) {
        this.config = config;
        this.lock = lock;
        this.recovered = recovered;
        this.defaultDurability = config.flushMode().defaultDurability();
        // Strategy, chosen once (measured, see docs/LOG.md): in async mode a 64 MiB window ahead of
        // the writer is kept in the page cache (read-touched), so neither the commit thread's pwrite
        // nor an appender writing through the mapping allocates fresh pages. Sync mode warms nothing.
        boolean warmAhead = config.flushMode() == FlushMode.ASYNC;
        int warmBytes = warmAhead ? PRETOUCH_WINDOW_BYTES : 0;
        this.allocator = new SegmentAllocator(config.commitLogDir(), config.segmentSize(), warmBytes);
        this.segments = new Segments(config.segmentSize(), recovered.segments(), allocator);
        long tail = recovered.tail();
        ReentrantLock appendLock = new ReentrantLock();
        this.failure = new LogFailure(appendLock);
        WaiterRing commitWaiters = config.poolEnabled() ? new WaiterRing(config.waitersCapacity()) : null;
        this.committed = new CommittedPosition(tail, commitWaiters);
        WaiterRing flushWaiters = new WaiterRing(config.waitersCapacity());
        // After a crash, [recovered.flushed(), tail) may be in no disk's hands yet: the flush thread
        // forces it before the flushed position (and the checkpoint) can move past it.
        this.flushService = new FlushService(committed, failure, segments, flushWaiters,
                Checkpoint.checkpoint(config.dataDir()), recovered.flushed(), config.flushInterval().toNanos(),
                config.checkpointInterval().toNanos());
        this.notifier = new CommitNotifier(committed, flushWaiters, flushService);
        this.pool = config.poolEnabled() ? new TransientStorePool(config.poolBuffers(), config.poolBufferSize()) : null;
        // Sync mode: zeros ahead of the records (see CommitService#zeroAhead).
        this.commitService = pool == null ? null
                : new CommitService(pool, segments, committed, notifier, failure, config.flushMode() == FlushMode.SYNC);
        this.writePath = pool == null ? new MappedWritePath(segments, committed, notifier, tail)
                : new PooledWritePath(pool, commitService, commitWaiters, config.segmentSize(), tail);
        this.appender = new LogAppender(appendLock, failure, writePath, flushWaiters, flushService,
                config.maxBatchBytes(), tail, recovered.last(), new RaftIndexes(committed, recovered.last().raftIndex()));
        this.integrity = new LogIntegrity(config, segments, flushService::flushedPosition);
        this.reader = new LogReader(segments, committed, integrity.corrupt());
        this.retention = new LogRetention(segments, committed, flushService, reader);
        // With the pool on, the commit thread's next pwrite covers up to the pool's filled buffers:
        // a lagging pre-toucher resumes beyond two of them (measured; see Pretoucher), within half its window.
        long leadBytes = config.poolEnabled() ? Math.min(2L * config.poolBufferSize(), warmBytes / 2) : 0;
        Pretoucher pretoucher = warmBytes > 0 ? new Pretoucher(committed, segments, warmBytes, leadBytes) : null;
        this.threads = new LogThreads(commitService, flushService, pretoucher, integrity);
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
                log = new CommitLog(config, recovered, lock);
            } catch (RuntimeException | Error e) {
                recovered.release(); // e.g. no direct memory for the pool: do not leave the segments mapped
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            lock.close();
            throw e;
        }
        log.threads.start();
        return log;
    }

    /** Appends with the server's default durability. */
    public LogAppend append(EventRecord[] records, int count, long firstVersion) {
        return append(records, count, firstVersion, defaultDurability);
    }

    /**
     * Appends {@code records[0..count)} as one atomic batch with stream versions from {@code firstVersion};
     * never blocks on I/O with the pool on. Fails with {@link LogOverloadedException} (nothing written),
     * {@link IllegalArgumentException} (larger than {@link #maxBatchBytes()}) or {@link LogException}.
     * The records' timestamp is now (never below {@link #lastTimestamp()}); their raft index 0.
     */
    public LogAppend append(EventRecord[] records, int count, long firstVersion, Durability durability) {
        return appender.append(records, count, firstVersion, durability, System.currentTimeMillis(), 0, Placement.NONE);
    }

    /**
     * As {@link #append(EventRecord[], int, long, Durability)}, for a replicated apply: every record
     * carries {@code raftIndex} and the timestamp {@code max(timestampMillis, lastTimestamp())}, so
     * replicas applying the same entries write the same bytes. A {@code raftIndex} below the last
     * one written (other than 0: not replicated) is refused with {@link IllegalArgumentException}.
     * {@code placement} learns the batch's position before it can commit ({@link Placement}).
     */
    public LogAppend append(EventRecord[] records, int count, long firstVersion, Durability durability,
                            long timestampMillis, long raftIndex, Placement placement) {
        return appender.append(records, count, firstVersion, durability, timestampMillis, raftIndex, placement);
    }

    /**
     * The largest raft index among the committed records, 0 when none carries one; at open, the last
     * record's (docs/LOG.md, "Timestamps and raft indexes"). Takes the append lock briefly.
     */
    public long lastRaftIndex() {
        return appender.lastRaftIndex();
    }

    /** The timestamp of the last record written (the last record's at open; 0 for an empty log). */
    public long lastTimestamp() {
        return appender.lastTimestamp();
    }

    /** Completes once everything below {@code position} (committed) is forced to disk; for repeats asking fsync. */
    public CompletionStage<Long> awaitFlush(long position) {
        return appender.awaitFlush(position);
    }

    /** Told the duration in nanoseconds of every fdatasync (on the flush thread): for a latency histogram. */
    public void onForce(LongConsumer listener) {
        flushService.onForce(listener);
    }

    /**
     * Registers a listener told the new committed position after each commit, on the committing
     * thread (pool off: appending threads, perhaps out of order); thread-safe, never blocking.
     */
    public void addCommitListener(LongConsumer listener) {
        notifier.add(listener);
    }

    public void removeCommitListener(LongConsumer listener) {
        notifier.remove(listener);
    }

    /** The first position still held by the log. */
    public long firstPosition() {
        return segments.firstPosition();
    }

    /** Everything below is readable and survives the process being killed. */
    public long committedPosition() {
        return committed.get();
    }

    /** End of the last append the log accepted; {@code committed <= written}. */
    public long writtenPosition() {
        return appender.writtenPosition();
    }

    /** How long appends have been refused because the pool was full, in nanoseconds; 0 when not. */
    public long poolExhaustedNanos() {
        return appender.poolExhaustedNanos();
    }

    /** Why the next segment cannot be created (e.g. no space left) while commits wait for it; null otherwise. */
    public IOException rollFailure() {
        return commitService == null ? null : commitService.rollFailure();
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
     * reference to its segment until it is closed. Throws {@link PositionNotHeldException} below the
     * first position held (retention deleted it), {@link IllegalArgumentException} when
     * {@code position} is negative or beyond the committed position.
     */
    public LogSlice read(long position, int maxBytes) {
        return reader.read(position, maxBytes);
    }

    /**
     * Exactly the committed record at {@code position}, which must be a record position the log
     * gave out (an {@link AppendResult}, a cursor, or the index built from them), verified (framing
     * and CRC-32C: {@link CorruptRecordException} when it fails). Null when not committed yet. Close
     * the slice to release the segment. Throws {@link PositionNotHeldException} when retention deleted it.
     */
    public LogSlice readRecord(long position) {
        return reader.readRecord(position);
    }

    /**
     * The committed bytes of the segment holding {@code position}, from its start, unverified: one
     * reference for many records (readers slice records out and verify each, {@link LogIntegrity#verifier}). Null when
     * nothing is committed there yet. Close to release. {@link PositionNotHeldException}: deleted.
     */
    public LogSlice readSegment(long position) {
        return reader.readSegment(position);
    }

    /**
     * The whole records from {@code position} (a record boundary) that fit in {@code maxBytes}
     * (always at least one) and lie in the same segment, as a file range for sendfile; each record
     * walked is verified ({@link CorruptRecordException}). An empty range (no file) when nothing is
     * committed there yet. {@link PositionNotHeldException} when retention deleted the segment; it
     * may still delete the file after this returns, and a sendfile of it then fails.
     */
    public LogRange range(long position, int maxBytes) {
        return reader.range(position, maxBytes);
    }

    /**
     * The position below which retention may delete whole segments: the end of the longest run of
     * oldest segments each older than {@code maxAgeMillis} (by the next segment's first record) or
     * wholly more than {@code maxBytes} behind the committed position (0 or less: no limit). Never
     * cuts into the segment being written or not yet flushed.
     */
    public long retentionCut(long maxAgeMillis, long maxBytes, long nowMillis) {
        return retention.cut(maxAgeMillis, maxBytes, nowMillis);
    }

    /**
     * Deletes the whole segments below {@code position} (a segment boundary from
     * {@link #retentionCut}), except those holding unflushed or uncommitted bytes. Readers holding a
     * segment keep reading it; new reads below the new {@link #firstPosition()} are refused.
     * Returns how many segments were deleted.
     */
    public int deleteBefore(long position) throws IOException {
        return retention.deleteBefore(position);
    }

    /**
     * A verifying cursor over the records from {@code position}, which must be a record boundary
     * ({@link IllegalArgumentException} otherwise, or beyond the committed position;
     * {@link PositionNotHeldException} below the first position held).
     */
    public LogCursor cursor(long position) {
        return reader.cursor(position, true);
    }

    /** As {@link #cursor(long)}; {@code verify} false walks positions only, for callers that verify each record they read. */
    public LogCursor cursor(long position, boolean verify) {
        return reader.cursor(position, verify);
    }

    /** Verifiers, the corrupt records found, the scrubber's progress. */
    public LogIntegrity integrity() {
        return integrity;
    }

    public LogConfig config() {
        return config;
    }

    public int maxBatchBytes() {
        return config.maxBatchBytes();
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
        return failure.get();
    }

    /** The last flush error while flushes keep failing; null once a flush succeeds. */
    public IOException flushFailure() {
        return flushService.failure();
    }

    /** True while the commit thread (pooled mode) and the flush thread run. */
    public boolean threadsAlive() {
        return !shutdown && threads.alive();
    }

    /** For tests in this package: the flush thread (to replace its fdatasync, to count its rewrites). */
    FlushService flushService() {
        return flushService;
    }

    /** For tests in this package: the segment list (its monitor stalls writers that roll). */
    Segments segments() {
        return segments;
    }

    /** Refuses appends, waits until all appended is committed (reads go on): a clean shutdown's first step. */
    public synchronized void stopAppends() throws IOException {
        if (appender.stop()) {
            writePath.drain();
        }
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
        // An interrupted thread's channel calls close the channel (ClosedByInterruptException) and
        // the final flush would fail: close with the flag cleared, and hand it back afterwards.
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
            flushService.stopAndFlush(appender.lastBatch());
            if (failure.get() == null) {
                Checkpoint.cleanShutdownMarker(config.dataDir()).write(flushService.flushedPosition());
            }
        } finally {
            shutdown = true;
            threads.stopHelpers();
            writePath.close();
            allocator.close();
            segments.releaseAll();
            lock.close();
        }
    }
}
