package io.strand.log;

import java.nio.ByteBuffer;

/**
 * One page-aligned off-heap buffer of the {@link TransientStorePool}, standing in for the log range
 * {@code [basePosition, basePosition + limit)} of a single segment while appends fill it.
 *
 * <p>Single writer, single reader: the appender (under the append lock) writes records, then
 * publishes them by a volatile store of {@link #written}; the commit thread reads {@code written}
 * (the paired volatile load) and copies {@code [committed, written)} into the segment. {@link #sealed}
 * is stored after the last {@code written} and read before it, so a sealed buffer's {@code written}
 * is final. {@code committed} belongs to the commit thread alone.
 */
final class WriteBuffer {
    final ByteBuffer buffer;
    /** The appender's duplicate for CRC32C (position and limit are clobbered). */
    final ByteBuffer crcView;
    /** The commit thread's duplicate for channel writes. */
    final ByteBuffer commitView;

    long basePosition;
    int limit;
    volatile int written;
    volatile boolean sealed;
    int committed;

    WriteBuffer(ByteBuffer buffer) {
        this.buffer = buffer;
        this.crcView = buffer.duplicate();
        this.commitView = buffer.duplicate();
    }

    /** Called by the appender before the buffer is published to the commit thread. */
    void activate(long basePosition, int limit) {
        this.basePosition = basePosition;
        this.limit = limit;
        this.committed = 0;
        this.sealed = false;
        this.written = 0;
    }

    int capacity() {
        return buffer.capacity();
    }

    int remaining() {
        return limit - written;
    }

    long writtenPosition() {
        return basePosition + written;
    }
}
