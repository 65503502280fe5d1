package io.strand.store;

import io.strand.index.StreamIndex;
import io.strand.log.CommitLog;
import io.strand.log.CorruptRecordException;
import io.strand.log.LogCursor;
import io.strand.log.PositionNotHeldException;
import io.strand.log.RecordDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Where a read from a time ({@code fromTime=}) starts in {@code $all}: the first record whose
 * timestamp is at or after it. Record timestamps never decrease along the log, so the index's
 * entries files answer by binary search ({@link StreamIndex#seekTime}); only the short tail the
 * indexer has not put on disk yet is read record by record. Blocking reads: not for an event loop.
 */
final class TimeStart {
    private final CommitLog log;
    private final StreamIndex index;

    TimeStart(CommitLog log, StreamIndex index) {
        this.log = log;
        this.index = index;
    }

    /** The position of the first record at or after {@code timestampMillis}; the committed end when none is. */
    long position(long timestampMillis) {
        long first = log.firstPosition();
        long found;
        try {
            found = index.seekTime(timestampMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the index's entries files", e);
        }
        if (found >= first) {
            return found;
        }
        // Older than everything on disk (or below retention): read on from the last entry known.
        long from = found >= 0 ? first : Math.max(first, -found - 2);
        try (LogCursor c = log.cursor(from, false)) {
            while (c.next()) {
                if (RecordDescriptor.timestamp(c.buffer(), c.offset()) >= timestampMillis) {
                    return c.position();
                }
            }
            return c.nextPosition();
        } catch (PositionNotHeldException e) { // retention moved the start meanwhile: from what is held
            return position(timestampMillis);
        } catch (CorruptRecordException e) {
            throw CorruptEventException.of(e);
        }
    }
}
