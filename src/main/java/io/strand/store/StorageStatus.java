package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.TransientStorePool;

import java.io.IOException;

/**
 * A read-only view of the log's state for health checks, metrics and the HTTP edge's refusals: its
 * positions, the transient pool, segments, recovery figures and failures. Every figure is a volatile
 * read or a short lock the write path does not hold: no I/O, safe from an event loop or a probe.
 * Thread-safe. It exists so that the edge reads these figures without holding the log itself.
 */
public final class StorageStatus {
    private final CommitLog log;

    StorageStatus(CommitLog log) {
        this.log = log;
    }

    /** The first position still held (retention moves it up). */
    public long firstPosition() {
        return log.firstPosition();
    }

    /** End of the last append the log accepted. */
    public long writtenPosition() {
        return log.writtenPosition();
    }

    /** Everything below is readable and survives the process being killed. */
    public long committedPosition() {
        return log.committedPosition();
    }

    /** Everything below survives power loss. */
    public long flushedPosition() {
        return log.flushedPosition();
    }

    /** Log bytes held: committed position minus first position. */
    public long heldBytes() {
        return log.committedPosition() - log.firstPosition();
    }

    public int segmentCount() {
        return log.segmentCount();
    }

    /** Whether appends are staged in the transient store pool (false: written straight into the mapping). */
    public boolean poolEnabled() {
        return log.pool() != null;
    }

    /** Buffers in the pool, or 0 with the pool off. */
    public int poolBuffers() {
        TransientStorePool p = log.pool();
        return p == null ? 0 : p.buffers();
    }

    /** Pool buffers not holding uncommitted appends, or 0 with the pool off. */
    public int poolFreeBuffers() {
        TransientStorePool p = log.pool();
        return p == null ? 0 : p.freeBuffers();
    }

    /** Whether the pool is locked in RAM with mlock (false with the pool off). */
    public boolean memoryLocked() {
        TransientStorePool p = log.pool();
        return p != null && p.memoryLocked();
    }

    /** How long appends have been refused because the pool was full, in nanoseconds; 0 when not. */
    public long poolExhaustedNanos() {
        return log.poolExhaustedNanos();
    }

    /** Why the next segment cannot be created (e.g. no space left) while commits wait for it; null otherwise. */
    public IOException rollFailure() {
        return log.rollFailure();
    }

    /** Why forcing to disk fails (the flush thread retries); null otherwise. */
    public IOException flushFailure() {
        return log.flushFailure();
    }

    /** Why the log failed for good (it takes no more appends); null otherwise. */
    public RuntimeException failure() {
        return log.failure();
    }

    /** Whether the commit and flush threads are running. */
    public boolean threadsAlive() {
        return log.threadsAlive();
    }

    /** Whether the last stop was clean (recovery then scanned nothing). */
    public boolean recoveredCleanly() {
        return log.recoveredCleanly();
    }

    /** Bytes recovery scanned at open. */
    public long recoveryScannedBytes() {
        return log.recoveryScannedBytes();
    }

    /** Distinct corrupt records found so far (by reads and the scrubber; each position once). */
    public long corruptRecords() {
        return log.integrity().corruptRecords();
    }

    /** Bytes the background scrubber has re-verified so far. */
    public long scrubVerifiedBytes() {
        return log.integrity().scrubVerifiedBytes();
    }

    /** The largest batch, in framed bytes, one append may carry. */
    public int maxBatchBytes() {
        return log.maxBatchBytes();
    }
}
