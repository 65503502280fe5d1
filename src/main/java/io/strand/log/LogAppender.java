package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The append side of the log: takes a batch, refuses it when the log cannot take it now (overload,
 * failed, closed), encodes its records with their CRC32C into the {@link WritePath} under the
 * append lock, registers its waiter and publishes the new written position. Also registers
 * {@code awaitFlush} waiters, which share the lock and the flush waiter ring. Owns the append lock,
 * the encoder's scratch ({@link CRC32C}), the closed flag, the written position, the last
 * timestamp written (timestamps never decrease along the log) and, through {@link RaftIndexes},
 * the raft indexes written and committed. Exists apart
 * from {@link CommitLog} so the one hot, locked path is one small class with no other job.
 *
 * <p>Thread-safe: any number of appenders; {@code closed}, the write path and the waiter rings'
 * producer side are guarded by {@code appendLock}. Positions are assigned under it, so waiters
 * enter each ring in position order. {@link WritePath#publish} makes the bytes visible to the
 * committing side (a pool buffer's volatile {@code written}, or the committed position itself with
 * the pool off); {@code writtenPosition}, {@code lastTimestamp}, {@code lastBatch} and
 * {@code poolExhaustedSince} are volatile for their getters (health checks, the close), stored
 * under the lock and loaded anywhere.
 */
final class LogAppender {
    private final ReentrantLock appendLock;
    private final LogFailure failure;
    private final WritePath writePath;
    private final WaiterRing flushWaiters;
    private final FlushService flushService;
    private final int maxBatchBytes;
    private final RaftIndexes raftIndexes; // guarded by appendLock
    private final CRC32C crc = new CRC32C();
    private boolean closed; // guarded by appendLock
    /** End of the last accepted append (written, maybe not committed yet): for stall detection. */
    private volatile long writtenPosition;
    /** The timestamp of the last record written: the next batch's is never smaller (a clock stepping back repeats it). */
    private volatile long lastTimestamp;
    /** Where the last batch written starts (-1: none yet): a record boundary for the close's checkpoint. */
    private volatile long lastBatch;
    /** System.nanoTime() of the first refusal in the current run of pool-exhausted refusals, or 0. */
    private volatile long poolExhaustedSince;

    LogAppender(ReentrantLock appendLock, LogFailure failure, WritePath writePath, WaiterRing flushWaiters,
                FlushService flushService, int maxBatchBytes, long tail, LastBatch last, RaftIndexes raftIndexes) {
        this.appendLock = appendLock;
        this.failure = failure;
        this.writePath = writePath;
        this.flushWaiters = flushWaiters;
        this.flushService = flushService;
        this.maxBatchBytes = maxBatchBytes;
        this.writtenPosition = tail;
        this.lastTimestamp = last.timestampMillis();
        this.lastBatch = last.position();
        this.raftIndexes = raftIndexes;
    }

    /** See {@link CommitLog#append(EventRecord[], int, long, Durability, long, long, Placement)}. */
    LogAppend append(EventRecord[] records, int count, long firstVersion, Durability durability, long timestampMillis,
                     long raftIndex, Placement placement) {
        if (count <= 0 || count > records.length || raftIndex < 0) {
            return LogAppend.refused(new IllegalArgumentException("bad batch: count=" + count + ", raftIndex=" + raftIndex));
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
            LogException failed = failure.get();
            if (closed || failed != null) {
                return LogAppend.refused(failed != null ? failed : new LogException("log is closed"));
            }
            if (!raftIndexes.accepts(raftIndex)) {
                return LogAppend.refused(new IllegalArgumentException("raft index below the last one written (an entry"
                        + " applied twice?): raftIndex=" + raftIndex + ", lastWritten=" + raftIndexes.written()));
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
            long timestamp = Math.max(lastTimestamp, timestampMillis);
            for (int i = 0; i < count; i++) {
                int flags = i < count - 1 ? RecordDescriptor.FLAG_BATCH_CONTINUES : 0;
                offset += RecordDescriptor.encode(target, crcView, crc, offset, records[i], firstVersion + i,
                        timestamp, raftIndex, flags);
            }
            long end = position + length;
            placement.placed(position); // before publish: the commit thread cannot take the batch yet
            result = new AppendResult(position, end, firstVersion, count);
            future = new LogAppend(result);
            if (waiters != null) {
                waiters.add(end, future, result);
            }
            writePath.publish(end);
            raftIndexes.written(end, raftIndex);
            writtenPosition = end;
            lastTimestamp = timestamp;
            lastBatch = position;
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

    /** See {@link CommitLog#awaitFlush(long)}. */
    CompletionStage<Long> awaitFlush(long position) {
        if (flushService.flushedPosition() >= position) {
            return CompletableFuture.completedFuture(position);
        }
        CompletableFuture<Long> f = new CompletableFuture<>();
        appendLock.lock();
        try {
            LogException failed = failure.get();
            if (closed || failed != null) {
                return CompletableFuture.failedFuture(failed != null ? failed : new LogException("log is closed"));
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

    /**
     * Refuses new appends (later ones fail with "log is closed") and hands the last pool buffer to
     * the commit thread. Returns false when appends were stopped already.
     */
    boolean stop() {
        appendLock.lock();
        try {
            if (closed) {
                return false;
            }
            closed = true;
            if (writePath instanceof PooledWritePath pooled) {
                pooled.seal();
            }
            return true;
        } finally {
            appendLock.unlock();
        }
    }

    long writtenPosition() {
        return writtenPosition;
    }

    long lastTimestamp() {
        return lastTimestamp;
    }

    /** Where the last batch written (or recovered) starts; -1 when the log holds none. */
    long lastBatch() {
        return lastBatch;
    }

    /** See {@link CommitLog#lastRaftIndex()}: takes the append lock, briefly. */
    long lastRaftIndex() {
        appendLock.lock();
        try {
            return raftIndexes.committed();
        } finally {
            appendLock.unlock();
        }
    }

    /** How long appends have been refused because the pool was full, in nanoseconds; 0 when not. */
    long poolExhaustedNanos() {
        long since = poolExhaustedSince;
        return since == 0 ? 0 : Math.max(1, System.nanoTime() - since);
    }
}
