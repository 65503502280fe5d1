package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where appends put their bytes: the transient pool ({@link PooledWritePath}) or the mapped segment
 * itself ({@link MappedWritePath}). Chosen once when the log opens, so the append path never tests
 * a mode flag. Every method but {@link #signal()} and {@link #drain()} runs under the append lock.
 */
interface WritePath extends AutoCloseable {

    /**
     * Makes room for {@code length} contiguous bytes in one segment at the write position, closing
     * the segment with an end-of-segment marker when they do not fit in it. Returns false, having
     * changed nothing, when there is no room right now (overload).
     */
    boolean reserve(int length) throws IOException;

    /** Log position of the reserved space. */
    long position();

    /** The buffer the reserved space lives in, and the offset of the space inside it. */
    ByteBuffer target();

    int targetOffset();

    /** A duplicate of {@link #target()} for checksums. */
    ByteBuffer crcView();

    /** Makes the bytes up to {@code endPosition} available to the commit step. */
    void publish(long endPosition);

    /** Waiters for {@link Durability#COMMITTED}, or null when {@link #publish} already commits. */
    WaiterRing commitWaiters();

    /** Outside the lock, after a publish: wake whoever moves or announces the bytes. */
    void signal();

    /** After appends stopped: returns once everything published is committed. */
    void drain() throws IOException;

    @Override
    void close();
}
