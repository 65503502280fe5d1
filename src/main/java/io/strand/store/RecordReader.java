package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.CorruptRecordException;
import io.strand.log.LogSlice;
import io.strand.log.PositionNotHeldException;

/**
 * Reads one committed record at a log position the index or a cursor gave out, in place
 * ({@link EventView}) or as a heap copy. It owns the one translation every read path needs: a
 * position retention deleted after it was given out ({@link PositionNotHeldException} from the
 * log) becomes {@link PositionGoneException} ("gone", with the first position still held), and a
 * record that fails verification ({@link CorruptRecordException}) becomes {@link CorruptEventException}.
 *
 * <p>Stateless and thread-safe. Apart from the stream, {@code $all} and subscription readers
 * because all of them (and the group loader) read records the same way.
 */
final class RecordReader {
    private final CommitLog log;

    RecordReader(CommitLog log) {
        this.log = log;
    }

    /** The committed record at {@code position}, in place; the caller closes it. */
    EventView view(long position) {
        long first = log.firstPosition();
        if (position < first) { // retention deleted it after the index gave it out
            throw gone(position, first);
        }
        LogSlice slice;
        try {
            slice = log.readRecord(position);
        } catch (PositionNotHeldException e) { // ... or does so right now
            throw gone(position, log.firstPosition());
        } catch (CorruptRecordException e) { // verified by the log: never served
            throw CorruptEventException.of(e);
        }
        if (slice == null) {
            throw new IllegalStateException("not committed: position=" + position);
        }
        return new EventView(slice);
    }

    private static PositionGoneException gone(long position, long first) {
        return new PositionGoneException("log position " + position + " was deleted by retention", first);
    }

    /** Heap copy of the committed record at {@code position}. */
    RecordedEvent copy(long position) {
        try (EventView v = view(position)) {
            return v.copy();
        }
    }

    /** The first log position still held (retention moves it up). */
    long firstPosition() {
        return log.firstPosition();
    }

    static RecordedEvent copyAndClose(EventView v) {
        try (v) {
            return v.copy();
        }
    }
}
