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
 *
 * <p>Each {@link #next()} loads the committed position (acquire), pairing with the committing
 * thread's release store in {@link CommittedPosition#advance}: every byte below it is readable. When
 * retention deleted the segment the cursor moves into, {@code next()} throws
 * {@link PositionNotHeldException}.
 *
 * <p>A verifying cursor ({@link CommitLog#cursor(long)}) checks each record (framing and CRC-32C,
 * with its own checksum and duplicate view of the segment: nothing allocated per record) and
 * throws {@link CorruptRecordException} for one that fails. When only the CRC failed the cursor
 * stands on that record (its accessors describe it, {@link #nextPosition()} is after it), so a
 * caller that can use a damaged record's header goes on with the next {@code next()}; when the
 * framing is broken it stays before the record and every {@code next()} throws again. A cursor of
 * positions only ({@code verify} false) checks framing as far as it needs to walk: its callers
 * verify each record they read.
 */
public final class LogCursor implements AutoCloseable {
    private final CommittedPosition committed;
    private final Segments segments;
    private Segment segment;
    private ByteBuffer buffer;
    private long nextPosition;
    private long recordPosition = -1;
    private int offset;
    private boolean checkFirst = true;
    /** Null for a cursor of positions only (or one told to {@link #trustCommitted}). */
    private CorruptRecords corrupt;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer view; // a duplicate of the segment's buffer, for the CRC (position and limit clobbered)

    LogCursor(Segments segments, CommittedPosition committed, long position, CorruptRecords corrupt) {
        this.committed = committed;
        this.segments = segments;
        this.corrupt = corrupt;
        this.nextPosition = position;
        long first = segments.firstPosition();
        if (position >= 0 && position < first) {
            throw new PositionNotHeldException(position, "first=" + first);
        }
        if (position < 0 || position > committed.get()) {
            throw new IllegalArgumentException("position out of range: position=" + position
                    + ", first=" + first + ", committed=" + committed.get());
        }
        if ((position & (RecordDescriptor.ALIGNMENT - 1)) != 0) {
            throw new IllegalArgumentException("not a record boundary: position=" + position);
        }
    }

    /** Moves to the next committed record; false when none is committed yet. */
    public boolean next() {
        long committedNow = committed.get();
        while (nextPosition < committedNow) {
            if (segment == null || !segment.contains(nextPosition)) {
                moveTo(nextPosition);
            }
            int at = (int) (nextPosition - segment.basePosition());
            if (checkFirst) {
                checkFirst = false;
                checkBoundary(at);
            }
            int length = RecordDescriptor.length(buffer, at);
            if (corrupt != null) {
                int limit = (int) Math.min(segment.size(), committedNow - segment.basePosition());
                int code = RecordDescriptor.check(buffer, view, crc, at, limit);
                if (code == RecordDescriptor.BAD_CRC) { // lengths consistent: stand on it, step over it next
                    recordPosition = nextPosition;
                    offset = at;
                    nextPosition += RecordDescriptor.align(length);
                    throw corrupt.report(recordPosition, segment.basePosition(), code);
                }
                if (code <= 0) {
                    throw corrupt.report(nextPosition, segment.basePosition(), code);
                }
            } else if (length < RecordDescriptor.MARKER_LENGTH || length > segment.size() - at) {
                throw new LogException("corrupt record below the committed position: position=" + nextPosition
                        + ", length=" + length + ", committed=" + committedNow);
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

    /**
     * From here on checks framing only, not CRCs: for a reader that follows records this process
     * committed itself moments ago (their checksums were computed from the same bytes), where a
     * second CRC pass would be the same work done twice. Not thread-safe, like the cursor.
     */
    public void trustCommitted() {
        corrupt = null;
    }

    private void checkBoundary(int at) {
        int code = RecordDescriptor.check(buffer, view, crc, at, segment.size());
        // A record whose lengths hold but whose CRC fails is still a boundary: next() reports it.
        if (code <= 0 && code != RecordDescriptor.BAD_CRC) {
            throw new IllegalArgumentException("not a record boundary: position=" + nextPosition
                    + ", found=" + RecordDescriptor.describe(code));
        }
    }

    private void moveTo(long position) {
        Segment next = segments.retain(position);
        if (next == null) {
            throw new PositionNotHeldException(position, "first=" + segments.firstPosition());
        }
        if (segment != null) {
            segment.release();
        }
        segment = next;
        buffer = next.buffer();
        view = buffer.duplicate();
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

    /**
     * The current record as a slice of its own, holding its own reference to the segment: it stays
     * valid after the cursor moves on, until closed. No copy, and no second verification.
     */
    public LogSlice slice() {
        if (!segment.retain()) {
            throw new IllegalStateException("cursor's segment already released: position=" + recordPosition);
        }
        return new LogSlice(recordPosition, segment, buffer.slice(offset, length()));
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
            view = null;
        }
    }
}
