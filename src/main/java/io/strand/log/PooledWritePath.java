package io.strand.log;

import java.nio.ByteBuffer;

/**
 * Appends into the {@link TransientStorePool}: a memory copy into a locked off-heap buffer, with no
 * I/O and no page fault under the append lock. The {@link CommitService} thread then moves the bytes
 * into the segment and completes the appends' stages. When the ring has no free buffer the append
 * is refused (overload) rather than queued. Not thread-safe: used under the append lock, except
 * {@link #signal()} and {@link #drain()}.
 */
final class PooledWritePath implements WritePath {
    private final TransientStorePool pool;
    private final CommitService commitService;
    private final WaiterRing commitWaiters;
    private final int segmentSize;
    private WriteBuffer active;

    PooledWritePath(TransientStorePool pool, CommitService commitService, WaiterRing commitWaiters,
                    int segmentSize, long tail) {
        this.pool = pool;
        this.commitService = commitService;
        this.commitWaiters = commitWaiters;
        this.segmentSize = segmentSize;
        this.active = acquire(tail);
        if (active == null) {
            throw new IllegalStateException("a fresh pool has no free buffer");
        }
    }

    private WriteBuffer acquire(long position) {
        long segmentEnd = position - position % segmentSize + segmentSize;
        return pool.tryAcquire(position, (int) Math.min(pool.bufferSize(), segmentEnd - position));
    }

    @Override
    public boolean reserve(int length) {
        if (active.remaining() >= length) {
            return true;
        }
        long position = active.writtenPosition();
        long segmentEnd = position - position % segmentSize + segmentSize;
        int segmentRemaining = (int) (segmentEnd - position);
        if (length <= segmentRemaining) {
            if (!pool.canAcquire(1)) {
                return false;
            }
            active.sealed = true;
            active = acquire(position);
            return true;
        }
        // The batch does not fit in this segment: close it with a marker, continue in the next one.
        // A buffer always ends at or before its segment's end, so the marker fits in the active
        // buffer when that one reaches the segment's end, and in a fresh one otherwise.
        boolean markerFits = active.remaining() >= segmentRemaining;
        if (!pool.canAcquire(markerFits ? 1 : 2)) {
            return false;
        }
        if (!markerFits) {
            active.sealed = true;
            active = acquire(position);
        }
        RecordDescriptor.encodeEndOfSegment(active.buffer, active.written, segmentRemaining);
        // The rest of the segment after the marker: zeros, as in a mapped segment, not what this pool
        // buffer held before. Nothing reads it, but replicas' logs must be the same bytes (docs/CLUSTER.md).
        zero(active.buffer, active.written + RecordDescriptor.MARKER_LENGTH, active.written + segmentRemaining);
        active.written = active.written + segmentRemaining;
        active.sealed = true;
        active = acquire(segmentEnd);
        return true;
    }

    @Override
    public long position() {
        return active.writtenPosition();
    }

    @Override
    public ByteBuffer target() {
        return active.buffer;
    }

    @Override
    public int targetOffset() {
        return active.written;
    }

    @Override
    public ByteBuffer crcView() {
        return active.crcView;
    }

    @Override
    public void publish(long endPosition) {
        active.written = (int) (endPosition - active.basePosition);
    }

    @Override
    public WaiterRing commitWaiters() {
        return commitWaiters;
    }

    @Override
    public void signal() {
        commitService.wake();
    }

    /** Under the append lock at close: hands the last buffer over so the commit thread can finish it. */
    void seal() {
        active.sealed = true;
    }

    @Override
    public void drain() {
        commitService.drainAndStop();
    }

    /** Frees the pool, unless the commit thread still runs: it reads the buffers until it ends. */
    @Override
    public void close() {
        if (commitService.alive()) {
            java.util.logging.Logger.getLogger(PooledWritePath.class.getName()).warning(
                    "the commit thread still runs at close: the pool's buffers are left to the JVM, not freed");
            return;
        }
        pool.close();
    }

    private static void zero(ByteBuffer b, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            b.putLong(i, 0L);
        }
        for (; i < to; i++) {
            b.put(i, (byte) 0);
        }
    }
}
