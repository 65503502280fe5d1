package io.strand.store;

import io.strand.index.StreamCatalog;
import io.strand.index.StreamEntry;
import io.strand.log.CommitLog;
import io.strand.log.CorruptRecordException;
import io.strand.log.LogCursor;
import io.strand.log.LogSlice;
import io.strand.log.PositionNotHeldException;
import io.strand.log.RecordDescriptor;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads of the whole log ({@code $all}) by log position, with a {@link LogCursor}: no index. It
 * owns the check of a client's position ({@link #checkRecordBoundary}): a position from a client
 * is validated here, before the log sees it, so a bad one is an {@link InvalidRequestException}
 * (400), never the log's {@link IllegalArgumentException} (a bug, 500).
 *
 * <p>Stateless and thread-safe; reads mapped pages that may not be resident (not for an event
 * loop). Record layout is read only through {@link RecordDescriptor}'s accessors and validator.
 * Apart from {@link StreamReader} because positions, not versions, address it.
 */
final class AllReader {
    private final CommitLog log;
    private final StreamCatalog catalog;
    private final RecordReader records;
    private final StoreConfig config;

    AllReader(CommitLog log, StreamCatalog catalog, RecordReader records, StoreConfig config) {
        this.log = log;
        this.catalog = catalog;
        this.records = records;
        this.config = config;
    }

    /**
     * A page of views from a verifying cursor: each record is checked once, by the cursor, and viewed
     * in place. A corrupt record in the page fails it whole ({@link CorruptEventException}); one just
     * after it only becomes the page's {@code next}.
     */
    ViewPage readAllViews(long fromPosition, int limit) {
        return readAllViews(fromPosition, limit, EventFilter.ALL);
    }

    /**
     * A page of the events {@code filter} passes. The records it skips are read (and verified) too,
     * at most {@link #scanLimit} of them per page, so a page costs bounded work however rare the
     * matches: a page that stops there can be short, or empty, and its {@code next} goes on from the
     * first record not yet looked at.
     */
    ViewPage readAllViews(long fromPosition, int limit, EventFilter filter) {
        long from = start(fromPosition, limit);
        ViewPage page = new ViewPage(Math.min(limit, 1024));
        long budget = scanLimit(limit);
        try (LogCursor c = log.cursor(from)) {
            long scanned = 0;
            while (page.size() < limit && scanned < budget && c.next()) {
                scanned++;
                EventView v = new EventView(c.slice());
                if (filter.matches(v)) {
                    page.add(v);
                } else {
                    v.close();
                }
            }
            return page.next(page.size() == limit || scanned == budget ? lookAhead(c) : -1);
        } catch (PositionNotHeldException e) { // retention deleted the segment under the cursor
            page.close();
            throw gone(from, log.firstPosition());
        } catch (CorruptRecordException e) {
            page.close();
            throw CorruptEventException.of(e);
        } catch (RuntimeException e) {
            page.close();
            throw e;
        }
    }

    /**
     * 0 or negative {@code fromPosition}: the first retained event; else a record boundary. Positions
     * only (framing is checked, CRCs are not): the caller verifies each record it reads (the binary page).
     */
    PositionPage readAllPositions(long fromPosition, int limit) {
        long from = start(fromPosition, limit);
        long[] positions = new long[Math.min(limit, 1024)];
        int n = 0;
        try (LogCursor c = log.cursor(from, false)) {
            while (n < limit && c.next()) {
                if (n == positions.length) {
                    positions = Arrays.copyOf(positions, Math.min(limit, n * 2));
                }
                positions[n++] = c.position();
            }
            return new PositionPage(positions, n, n == limit ? lookAhead(c) : -1);
        } catch (PositionNotHeldException e) { // retention deleted the segment under the cursor
            throw gone(from, log.firstPosition());
        } catch (CorruptRecordException e) {
            throw CorruptEventException.of(e);
        }
    }

    /** Records a filtered page may look at: a hundred per event asked for, at least 10,000. */
    static long scanLimit(int limit) {
        return Math.max(10_000L, 100L * limit);
    }

    /** The positions of a filtered page (for the binary page, which verifies each record itself). */
    PositionPage readAllPositions(long fromPosition, int limit, EventFilter filter) {
        return PositionPage.of(readAllViews(fromPosition, limit, filter));
    }

    private long start(long fromPosition, int limit) {
        config.checkLimit(limit);
        long first = log.firstPosition();
        if (fromPosition > 0 && fromPosition < first) {
            throw gone(fromPosition, first);
        }
        long from = fromPosition <= 0 ? first : fromPosition;
        checkRecordBoundary(from);
        return from;
    }

    /** Where the next page starts: the next record, even a corrupt one (that page fails, not this). */
    private static long lookAhead(LogCursor c) {
        try {
            return c.next() ? c.position() : -1;
        } catch (CorruptRecordException e) {
            return e.position();
        }
    }

    /**
     * Checks that {@code position}, from a client, is where a record of the log starts: the log's
     * first position, its committed end, an end-of-segment marker (a former committed end: readers
     * go on at the next segment), or the position of an event the index knows (any stream, the
     * store's own included). A valid record alone does not prove it, since an event's data may hold
     * the bytes of a valid record: the record there must name a (stream, version) that the stream's
     * index maps to exactly this position. Throws {@link InvalidRequestException} when it is not a
     * boundary, {@link PositionGoneException} below the first position held.
     */
    void checkRecordBoundary(long position) {
        long first = log.firstPosition();
        long committed = log.committedPosition();
        if (position == first || position == committed) {
            return;
        }
        if (position < first && position > 0) {
            throw gone(position, first);
        }
        if (position < 0 || position > committed || position % RecordDescriptor.ALIGNMENT != 0) {
            throw notBoundary(position, "out of range or unaligned: first=" + first + ", committed=" + committed);
        }
        StreamEntry s;
        long version;
        boolean corrupt;
        try (LogSlice slice = log.read(position, Integer.MAX_VALUE)) {
            // The slice ends at the committed position or its segment's end, whichever is first: the
            // limit the validator needs (a marker must claim exactly the rest of its segment).
            ByteBuffer b = slice.buffer();
            int found = RecordDescriptor.check(b, b.duplicate(), new CRC32C(), 0, b.limit());
            corrupt = found == RecordDescriptor.BAD_CRC; // lengths hold: a record, if the index says so
            if (found <= 0 && !corrupt) {
                throw notBoundary(position, "found=" + RecordDescriptor.describe(found));
            }
            if (!corrupt && RecordDescriptor.isEndOfSegment(b, 0)) {
                return;
            }
            byte[] name = new byte[RecordDescriptor.streamLength(b, 0)];
            b.get(RecordDescriptor.streamOffset(0), name);
            version = RecordDescriptor.streamVersion(b, 0);
            s = catalog.get(name);
        } catch (PositionNotHeldException e) { // retention deleted it since the check above
            long now = log.firstPosition();
            throw gone(position, now);
        }
        boolean maps = s != null && maps(s, version, position);
        if (!maps && s != null) {
            synchronized (s) {
                // An append records positions under this monitor just after the log reserved them
                // (and may have committed them): after it, a real record is always in the index.
                maps = maps(s, version, position);
            }
        }
        if (!maps) {
            throw notBoundary(position, "no event starts there");
        }
        if (corrupt) { // a real record whose CRC fails: the read answers corrupt-record (and the log reports it)
            records.view(position).close();
        }
    }

    private static boolean maps(StreamEntry s, long version, long position) {
        return version >= s.base() && version < s.assigned() && s.position(version) == position;
    }

    private static InvalidRequestException notBoundary(long position, String why) {
        return new InvalidRequestException("not a record boundary: position=" + position + " (" + why + ")");
    }

    private static PositionGoneException gone(long position, long first) {
        return new PositionGoneException("log position " + position
                + " was deleted by retention; the first position still held is " + first, first);
    }
}
