package io.strand.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Walks committed records from a position, across segments, skipping end-of-segment markers.
 * After {@link #next()} returns true, the accessors describe the current record in place, in the
 * mapped segment, with no copy: {@link #buffer()} and {@link #offset()} go to the
 * {@link RecordDescriptor} accessors. The cursor holds a reference to the segment it is in and
 * releases it when it moves on or closes. Stops at the committed position of the moment and can be
 * resumed by calling {@code next()} again after more is committed. Not thread-safe.
 */
public final class LogCursor implements AutoCloseable {
    private final CommitLog log;
    private final Segments segments;
    private Segment segment;
    private ByteBuffer buffer;
    private long nextPosition;
    private long recordPosition = -1;
    private int offset;
    private boolean checkFirst = true;

    LogCursor(CommitLog log, Segments segments, long position) {
        this.log = log;
        this.segments = segments;
        this.nextPosition = position;
        if (position < log.firstPosition() || position > log.committedPosition()) {
            throw new IllegalArgumentException("position out of range: position=" + position
                    + ", first=" + log.firstPosition() + ", committed=" + log.committedPosition());
        }
        if ((position & (RecordDescriptor.ALIGNMENT - 1)) != 0) {
            throw new IllegalArgumentException("not a record boundary: position=" + position);
        }
    }

    /** Moves to the next committed record; false when none is committed yet. */
    public boolean next() {
        long committed = log.committedPosition();
        while (nextPosition < committed) {
            if (segment == null || !segment.contains(nextPosition)) {
                moveTo(nextPosition);
            }
            int at = (int) (nextPosition - segment.basePosition());
            if (checkFirst) {
                checkFirst = false;
                checkBoundary(at);
            }
            int length = RecordDescriptor.length(buffer, at);
            if (length < RecordDescriptor.MARKER_LENGTH || length > segment.size() - at) {
                throw new LogException("corrupt record below the committed position: position=" + nextPosition
                        + ", length=" + length + ", committed=" + committed);
            }
            if (RecordDescriptor.isEndOfSegment(buffer, at)) {
                nextPosition = segment.endPosition();
                continue;
            }
            recordPosition = nextPosition;
            offset = at;
            nextPosition += RecordDescriptor.align(length);
            return true;
        }
        return false;
    }

    private void checkBoundary(int at) {
        int code = RecordDescriptor.check(buffer, buffer.duplicate(), new CRC32C(), at, segment.size());
        if (code <= 0) {
            throw new IllegalArgumentException("not a record boundary: position=" + nextPosition
                    + ", found=" + RecordDescriptor.describe(code));
        }
    }

    private void moveTo(long position) {
        Segment next = segments.retain(position);
        if (next == null) {
            throw new IllegalStateException("position no longer held by the log: position=" + position
                    + ", first=" + log.firstPosition());
        }
        if (segment != null) {
            segment.release();
        }
        segment = next;
        buffer = next.buffer();
    }

    /** The segment of the current record, held by the cursor until it moves on or closes. */
    Segment segment() {
        return segment;
    }

    /** Log position of the current record. */
    public long position() {
        return recordPosition;
    }

    /** Where the next record starts (the resume point). */
    public long nextPosition() {
        return nextPosition;
    }

    public ByteBuffer buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    /** Unpadded length of the current record. */
    public int length() {
        return RecordDescriptor.length(buffer, offset);
    }

    /** A slice of the current record's data bytes (no copy; valid while the cursor stays here). */
    public ByteBuffer data() {
        return buffer.slice(RecordDescriptor.dataOffset(buffer, offset), RecordDescriptor.dataLength(buffer, offset));
    }

    /** The whole current record as a slice (no copy). */
    public ByteBuffer record() {
        return buffer.slice(offset, length());
    }

    @Override
    public void close() {
        if (segment != null) {
            segment.release();
            segment = null;
            buffer = null;
        }
    }
}
