package io.strand.log;

import java.nio.ByteBuffer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A ring of page-aligned direct buffers, locked in RAM with {@code mlock} where the memory-lock
 * limit allows, that appends fill before the commit thread moves them into the mapped segment.
 * Unlike RocketMQ's pool (five buffers of a whole segment each, lock failures ignored), buffers
 * are small and a failed lock is checked, logged once and reported by {@link #memoryLocked()}.
 *
 * <p>Buffers are used strictly in ring order. The appender takes the next buffer with
 * {@link #tryAcquire()} (under the append lock) and the commit thread hands it back with
 * {@link #release()} once every byte is in the segment: a single-producer single-consumer pair of
 * counters, so neither side takes a lock. When all buffers are in use the appender gets
 * {@code null} and fails fast with an overload error instead of queueing.
 */
public final class TransientStorePool implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TransientStorePool.class.getName());

    private final WriteBuffer[] ring;
    private final OffHeap[] allocations;
    private final int bufferSize;
    private final int lockedBuffers;
    private final int lockErrno;
    /** Buffers handed to the appender so far; written by the appender only. */
    private volatile long acquired;
    /** Buffers given back so far; written by the commit thread only. */
    private volatile long released;

    public TransientStorePool(int buffers, int bufferSize) {
        if (buffers < 2) {
            throw new IllegalArgumentException("the pool needs at least two buffers: buffers=" + buffers);
        }
        if (bufferSize % Segment.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("bufferSize must be a multiple of the page size: bufferSize=" + bufferSize);
        }
        this.bufferSize = bufferSize;
        this.ring = new WriteBuffer[buffers];
        this.allocations = new OffHeap[buffers];
        int locked = 0;
        int firstErrno = 0;
        for (int i = 0; i < buffers; i++) {
            allocations[i] = OffHeap.allocate(bufferSize);
            ByteBuffer aligned = allocations[i].buffer();
            // Touch every page now: mlock would fault them in anyway, and an unlocked pool should
            // not pay first-touch faults on the append path either.
            for (int p = 0; p < bufferSize; p += Segment.PAGE_SIZE) {
                aligned.put(p, (byte) 0);
            }
            int errno = NativeIO.mlock(aligned);
            if (errno == 0) {
                locked++;
            } else if (firstErrno == 0) {
                firstErrno = errno;
            }
            ring[i] = new WriteBuffer(aligned);
        }
        this.lockedBuffers = locked;
        this.lockErrno = firstErrno;
        if (locked < buffers) {
            LOG.log(Level.WARNING, "transient store pool runs unlocked: mlock failed for " + (buffers - locked)
                    + " of " + buffers + " buffers (errno=" + firstErrno + ", bufferSize=" + bufferSize
                    + "); its pages may be swapped out. Grant CAP_IPC_LOCK or raise the memlock limit (ulimit -l).");
        }
    }

    /**
     * The next buffer in ring order, activated for {@code [basePosition, basePosition + limit)}, or
     * null when every buffer still holds uncommitted bytes. The buffer is activated before the
     * volatile store of {@code acquired} publishes it to the commit thread.
     */
    WriteBuffer tryAcquire(long basePosition, int limit) {
        long a = acquired;
        if (a - released >= ring.length) {
            return null;
        }
        WriteBuffer b = ring[(int) (a % ring.length)];
        b.activate(basePosition, limit);
        acquired = a + 1;
        return b;
    }

    /** True when {@code n} more buffers can be acquired right now (appender side). */
    boolean canAcquire(int n) {
        return acquired - released + n <= ring.length;
    }

    /** The oldest buffer still in use, or null when none is (commit thread side). */
    WriteBuffer oldestInUse() {
        long r = released;
        return r < acquired ? ring[(int) (r % ring.length)] : null;
    }

    /** Hands the oldest buffer back (commit thread side). */
    void release() {
        released = released + 1;
    }

    public int buffers() {
        return ring.length;
    }

    public int bufferSize() {
        return bufferSize;
    }

    public int freeBuffers() {
        return (int) (ring.length - (acquired - released));
    }

    /** True when every buffer is locked in RAM. */
    public boolean memoryLocked() {
        return lockedBuffers == ring.length;
    }

    public int lockedBuffers() {
        return lockedBuffers;
    }

    /** errno of the first failed mlock (ENOMEM=12, EPERM=1), 0 when all succeeded, -1 without libc. */
    public int lockErrno() {
        return lockErrno;
    }

    @Override
    public void close() {
        for (int i = 0; i < ring.length; i++) {
            NativeIO.munlock(ring[i].buffer);
            allocations[i].free();
        }
    }
}
