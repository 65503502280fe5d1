package io.strand.store;

import io.strand.log.LogSlice;

import java.nio.ByteBuffer;

/**
 * Committed log bytes in place: a read-only direct buffer over the mapped segment, starting at log
 * position {@link #position()}, for writers that hand it to the socket without a copy (the raw log and
 * the binary page). It holds a reference to its segment, so the mapping stays valid until
 * {@link #close()} even if retention deletes the segment meanwhile; using {@link #buffer()} after close
 * is a bug. Not thread-safe; close exactly once.
 */
public final class MappedBytes implements AutoCloseable {
    private final LogSlice slice;

    MappedBytes(LogSlice slice) {
        this.slice = slice;
    }

    /** The log position of the buffer's first byte. */
    public long position() {
        return slice.position();
    }

    /** The bytes, positioned at 0 with {@link #length()} as limit. */
    public ByteBuffer buffer() {
        return slice.buffer();
    }

    public int length() {
        return slice.length();
    }

    /** Whether log position {@code p} lies in these bytes. */
    public boolean contains(long p) {
        return p >= slice.position() && p < slice.position() + slice.length();
    }

    /** Releases the segment reference. */
    @Override
    public void close() {
        slice.close();
    }
}
