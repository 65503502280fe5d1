package io.strand.log;

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
 */
final class LogReader {
    private final Segments segments;
    private final CommittedPosition committed;

    LogReader(Segments segments, CommittedPosition committed) {
        this.segments = segments;
        this.committed = committed;
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
            throw new LogException("no record at position=" + position + ", length=" + length);
        }
        return new LogSlice(position, s, s.slice(offset, length));
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
        try (LogCursor c = cursor(position)) {
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
            while (c.next()) {
                if (segments.baseOf(c.position()) != base || c.nextPosition() - start > maxBytes) {
                    next = c.position();
                    break;
                }
                end = c.nextPosition();
                next = end;
            }
            if (segments.find(base) != s) {
                throw new PositionNotHeldException(start, "first=" + segments.firstPosition());
            }
            return new LogRange(s.file(), start - base, (int) (end - start), start, next);
        }
    }

    /** See {@link CommitLog#cursor(long)}. */
    LogCursor cursor(long position) {
        return new LogCursor(segments, committed, position);
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
