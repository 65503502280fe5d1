package io.strand.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The read side of the log: slices of committed bytes, single records, whole segments, sendfile
 * ranges and cursors, each holding a reference to its segment until closed. Owns nothing but its
 * two sources: the {@link Segments} (which segments are held) and the {@link CommittedPosition}
 * (how far they may be read). Exists apart from {@link CommitLog} so reads, which never take the
 * append lock, do not share a class with the write path.
 *
 * <p>Thread-safe and lock-free: each call loads the committed position once (acquire, pairing with
 * the committing thread's release store) and reads only below it; segments are found through
 * {@link Segments}' volatile copy-on-write array and retained before use.
 *
 * <p>Failures: a position below the first held one, or whose segment retention deleted between
 * the caller's lookup and the read, throws {@link PositionNotHeldException}. A position out of
 * range above ({@link #read}, {@link #cursor}) or not on a record boundary ({@link #cursor},
 * {@link #range}) is the caller's broken invariant and throws {@link IllegalArgumentException}.
 * {@link #readRecord}, {@link #range} and verifying cursors check every record's CRC-32C and throw
 * {@link CorruptRecordException} (reported once per position to {@link CorruptRecords}) for one that
 * fails; {@link #read} and {@link #readSegment} hand out raw bytes their callers verify.
 */
final class LogReader {
    /** One checksum per reading thread: verifying a record allocates nothing. */
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    private final Segments segments;
    private final CommittedPosition committed;
    private final CorruptRecords corrupt;

    LogReader(Segments segments, CommittedPosition committed, CorruptRecords corrupt) {
        this.segments = segments;
        this.committed = committed;
        this.corrupt = corrupt;
    }

    /** See {@link CommitLog#read(long, int)}. */
    LogSlice read(long position, int maxBytes) {
        long committedNow = committed.get();
        long first = segments.firstPosition();
        if (position >= 0 && position < first) {
            throw new PositionNotHeldException(position, "first=" + first);
        }
        if (position < 0 || position > committedNow) {
            throw new IllegalArgumentException("position out of range: position=" + position
                    + ", first=" + first + ", committed=" + committedNow);
        }
        if (position == committedNow) {
            return null;
        }
        Segment s = retain(position);
        int offset = (int) (position - s.basePosition());
        int length = (int) Math.min(Math.min(maxBytes, committedNow - position), s.size() - offset);
        return new LogSlice(position, s, s.slice(offset, length));
    }

    /** See {@link CommitLog#readRecord(long)}. */
    LogSlice readRecord(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position out of range: position=" + position);
        }
        long first = segments.firstPosition();
        if (position < first) {
            throw new PositionNotHeldException(position, "first=" + first);
        }
        if (position >= committed.get()) {
            return null;
        }
        Segment s = retain(position);
        int offset = (int) (position - s.basePosition());
        int length = RecordDescriptor.length(s.buffer(), offset);
        if (length < RecordDescriptor.HEADER_LENGTH || length > s.size() - offset
                || RecordDescriptor.isEndOfSegment(s.buffer(), offset)) {
            s.release();
            throw corrupt.report(position, s.basePosition(), RecordDescriptor.BAD_LENGTH);
        }
        // Verified on the fresh slice itself (its position and limit are put back): no shared
        // buffer is mutated and nothing is allocated but the slice the read returns anyway.
        ByteBuffer record = s.slice(offset, length);
        int code = RecordDescriptor.check(record, record, CRC.get(), 0, RecordDescriptor.align(length));
        if (code <= 0) {
            s.release();
            throw corrupt.report(position, s.basePosition(), code);
        }
        record.limit(length).position(0);
        return new LogSlice(position, s, record);
    }

    /** See {@link CommitLog#readSegment(long)}. */
    LogSlice readSegment(long position) {
        long committedNow = committed.get();
        if (position < segments.firstPosition() || position >= committedNow) {
            return null;
        }
        Segment s = retain(position);
        int length = (int) Math.min(committedNow - s.basePosition(), s.size());
        return new LogSlice(s.basePosition(), s, s.slice(0, length));
    }

    /** See {@link CommitLog#range(long, int)}. */
    LogRange range(long position, int maxBytes) {
        try (LogCursor c = cursor(position, true)) { // a corrupt record fails the range: never shipped
            if (!c.next()) {
                return new LogRange(null, 0, 0, position, position);
            }
            // Taken from the segment the cursor holds: looking it up again after the scan found
            // nothing (and threw NullPointerException) when retention had dropped it meanwhile.
            Segment s = c.segment();
            long base = s.basePosition();
            long start = c.position();
            long end = c.nextPosition();
            long next = committed.get();
            while (nextInRange(c, base, start, maxBytes)) {
                end = c.nextPosition();
                next = end;
            }
            if (c.nextPosition() > end && c.position() >= end) {
                next = c.position(); // the record after the range (perhaps corrupt: the next range fails on it)
            }
            if (segments.find(base) != s) {
                throw new PositionNotHeldException(start, "first=" + segments.firstPosition());
            }
            return new LogRange(s.file(), start - base, (int) (end - start), start, next);
        }
    }

    /**
     * Moves to the next record of the range: false at the end of the committed log, of the segment,
     * or of {@code maxBytes}. A corrupt record inside the range fails it; one just after it does not.
     */
    private boolean nextInRange(LogCursor c, long base, long start, int maxBytes) {
        try {
            if (!c.next()) {
                return false;
            }
        } catch (CorruptRecordException e) {
            boolean inside = segments.baseOf(e.position()) == base
                    && (!e.framingIntact() || c.nextPosition() - start <= maxBytes);
            if (inside) {
                throw e;
            }
            return false;
        }
        return segments.baseOf(c.position()) == base && c.nextPosition() - start <= maxBytes;
    }

    /** See {@link CommitLog#cursor(long, boolean)}. */
    LogCursor cursor(long position, boolean verify) {
        return new LogCursor(segments, committed, position, verify ? corrupt : null);
    }

    /** The segment holding {@code position}, retained; the caller releases it. */
    private Segment retain(long position) {
        Segment s = segments.retain(position);
        if (s == null) {
            throw new PositionNotHeldException(position, "first=" + segments.firstPosition());
        }
        return s;
    }
}
