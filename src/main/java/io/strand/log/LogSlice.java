package io.strand.log;

import java.nio.ByteBuffer;

/**
 * A read-only window of committed bytes in one segment, starting at log position
 * {@link #position()}. It holds a reference to the segment, so the mapping stays valid until
 * {@link #close()}; using {@link #buffer()} after close is a bug: once retention unmaps the
 * segment it throws {@link IllegalStateException} on JDK 22+ ({@link OffHeap}) and may SIGSEGV
 * before. Not thread-safe; close exactly once.
 */
public final class LogSlice implements AutoCloseable {
    private final long position;
    private final Segment segment;
    private final ByteBuffer buffer;
    private boolean closed;

    LogSlice(long position, Segment segment, ByteBuffer buffer) {
        this.position = position;
        this.segment = segment;
        // Read-only: a write through a reader's view would change committed log bytes under their
        // CRC. Still a direct buffer over the mapping, so Netty wraps it without a copy.
        this.buffer = buffer.asReadOnlyBuffer();
    }

    public long position() {
        return position;
    }

    /** The bytes, positioned at 0 with the slice's length as limit. */
    public ByteBuffer buffer() {
        return buffer;
    }

    public int length() {
        return buffer.limit();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            segment.release();
        }
    }
}
