package io.strand.store;

import io.strand.index.StreamCatalog;
import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads by stream: one event, a page forward or backward, first and last version. A version is
 * resolved to its log position through the stream's index entry (O(1)) and read in place by
 * {@link RecordReader}; a stream with no committed event does not exist
 * ({@link StreamNotFoundException}), and versions retention deleted are "gone"
 * ({@link PositionGoneException}).
 *
 * <p>Stateless and thread-safe (the index entries publish their versions safely). Reads touch
 * mapped pages that may not be resident: not for an event loop. Apart from {@link AllReader}, which
 * walks the log by position and needs no index.
 */
final class StreamReader {
    private final StreamIndex index;
    private final StreamCatalog catalog;
    private final RecordReader records;
    private final StoreConfig config;
    private final StreamLifecycle lifecycle;

    StreamReader(StreamIndex index, RecordReader records, StoreConfig config, StreamLifecycle lifecycle) {
        this.index = index;
        this.catalog = index.catalog();
        this.records = records;
        this.config = config;
        this.lifecycle = lifecycle;
    }

    EventView readEventView(String stream, long version) {
        StreamEntry s = existing(stream);
        long last = index.lastVersion(s);
        if (version < 0 || version > last) {
            throw new StreamNotFoundException(stream, version);
        }
        long held = index.firstVersion(s);
        long first = firstVisible(stream, s, held, last);
        if (version < first) {
            // Below what retention holds is gone; what the stream's metadata hides is not found.
            throw first == held ? gone(stream, version, held) : new StreamNotFoundException(stream, version);
        }
        return records.view(s.position(version));
    }

    ViewPage readStreamViews(String stream, long from, int limit, Direction direction) {
        return views(records, readStreamPositions(stream, from, limit, direction));
    }

    /**
     * A page of the events of {@code stream} that {@code filter} passes, in {@code direction}. The
     * events it skips are read too, at most {@link AllReader#scanLimit} per page: a page that stops
     * there can be short or empty, and its {@code next} is the first version not looked at.
     */
    ViewPage readStreamViews(String stream, long from, int limit, Direction direction, EventFilter filter) {
        if (filter.all()) {
            return readStreamViews(stream, from, limit, direction);
        }
        config.checkLimit(limit);
        StreamEntry s = existing(stream);
        long last = index.lastVersion(s);
        long first = visibleAndHeld(stream, s, from, last, direction);
        boolean forward = direction == Direction.FORWARD;
        long v = forward ? Math.max(first, from) : (from < 0 || from > last ? last : from);
        long budget = AllReader.scanLimit(limit);
        ViewPage page = new ViewPage(Math.min(limit, 1024));
        try {
            for (long scanned = 0; page.size() < limit && scanned < budget && (forward ? v <= last : v >= first); scanned++) {
                EventView e = records.view(s.position(v));
                if (filter.matches(e)) {
                    page.add(e);
                } else {
                    e.close();
                }
                v += forward ? 1 : -1;
            }
            return page.next(forward ? (v <= last ? v : -1) : (v >= first ? v : -1));
        } catch (RuntimeException e) {
            page.close();
            throw e;
        }
    }

    /**
     * The first version a read from {@code from} shows; {@link PositionGoneException} when
     * {@code from} lies below what retention holds and the stream's metadata hides nothing above it.
     */
    private long visibleAndHeld(String stream, StreamEntry s, long from, long last, Direction direction) {
        long held = index.firstVersion(s);
        long first = firstVisible(stream, s, held, last);
        if (first == held) {
            checkHeld(stream, from, held, last, direction);
        }
        return first;
    }

    /**
     * The stream's first visible version: the first held, raised past what its metadata hides
     * (truncateBefore, a soft delete, all but the newest maxCount, events older than maxAge). Above
     * {@code last} when it hides every event. Reads the log only for maxAge.
     */
    long firstVisible(String stream, StreamEntry s, long held, long last) {
        StreamMetadata m = lifecycle.get(stream);
        if (m == StreamMetadata.NONE) {
            return held;
        }
        long first = m.firstWithoutAge(held, last);
        if (m.maxAge() != null && first <= last) {
            first = versionAt(s, first, last, System.currentTimeMillis() - m.maxAge() * 1000);
        }
        return first;
    }

    /**
     * Where a subscription of {@code stream} goes on from {@code next}: past what the stream's
     * metadata hides, looking at maxAge (which reads the log) only when {@code withAge}. Throws
     * {@link StreamTombstonedException} once the stream is tombstoned.
     */
    long subscriptionNext(String stream, StreamEntry s, long next, boolean withAge) {
        StreamMetadata m = lifecycle.get(stream);
        if (m == StreamMetadata.NONE) {
            return next;
        }
        if (m.tombstoned()) {
            throw new StreamTombstonedException(stream);
        }
        long last = index.lastVersion(s);
        long held = index.firstVersion(s);
        long first = withAge ? firstVisible(stream, s, held, last) : m.firstWithoutAge(held, last);
        return Math.max(next, first);
    }

    /** Memory only: throws when {@code stream} is tombstoned, or soft-deleted with nothing appended since. */
    void checkReadable(String stream) {
        StreamMetadata m = lifecycle.get(stream);
        if (m.tombstoned()) {
            throw new StreamTombstonedException(stream);
        }
        StreamEntry s = m == StreamMetadata.NONE ? null : catalog.get(stream);
        if (s != null && m.deleted(index.lastVersion(s))) {
            throw new StreamDeletedException(stream);
        }
    }

    private static void checkHeld(String stream, long from, long first, long last, Direction direction) {
        if (from >= 0 && from < first && (direction == Direction.FORWARD || from <= last)) {
            throw gone(stream, from, first);
        }
    }

    PositionPage readStreamPositions(String stream, long from, int limit, Direction direction, EventFilter filter) {
        return filter.all() ? readStreamPositions(stream, from, limit, direction)
                : PositionPage.of(readStreamViews(stream, from, limit, direction, filter));
    }

    PositionPage readStreamPositions(String stream, long from, int limit, Direction direction) {
        config.checkLimit(limit);
        StreamEntry s = existing(stream);
        long last = index.lastVersion(s);
        long first = visibleAndHeld(stream, s, from, last, direction);
        if (direction == Direction.FORWARD) {
            long start = Math.max(first, from);
            if (start > last) {
                return new PositionPage(new long[0], 0, -1);
            }
            long end = Math.min(last, start + limit - 1);
            long[] positions = new long[(int) (end - start + 1)];
            for (long v = start; v <= end; v++) {
                positions[(int) (v - start)] = s.position(v);
            }
            return new PositionPage(positions, positions.length, end < last ? end + 1 : -1);
        }
        long start = from < 0 || from > last ? last : from;
        if (start < first) {
            return new PositionPage(new long[0], 0, -1);
        }
        long end = Math.max(first, start - limit + 1);
        long[] positions = new long[(int) (start - end + 1)];
        for (long v = start; v >= end; v--) {
            positions[(int) (start - v)] = s.position(v);
        }
        return new PositionPage(positions, positions.length, end > first ? end - 1 : -1);
    }

    /**
     * The stream's first version whose event is at or after {@code timestampMillis} (epoch ms), by
     * binary search over its versions (timestamps never decrease along the log, so along a stream);
     * the version after its last when every event is older. Reads log2(versions) records.
     */
    long versionAt(String stream, long timestampMillis) {
        StreamEntry s = existing(stream);
        long last = index.lastVersion(s);
        return versionAt(s, firstVisible(stream, s, index.firstVersion(s), last), last, timestampMillis);
    }

    private long versionAt(StreamEntry s, long from, long last, long timestampMillis) {
        long lo = from;
        long hi = last + 1;
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            long t;
            try (EventView v = records.view(s.position(mid))) {
                t = v.timestamp();
            }
            if (t < timestampMillis) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    StreamInfo streamInfo(String stream) {
        StreamEntry s = existing(stream);
        long last = index.lastVersion(s);
        return new StreamInfo(stream, firstVisible(stream, s, index.firstVersion(s), last), last);
    }

    /** See {@link EventStore#metadata}. */
    StreamMetadataView metadata(String stream) {
        StreamMetadata m = lifecycle.get(stream);
        if (m.tombstoned()) {
            throw new StreamTombstonedException(stream);
        }
        StreamInfo info;
        try {
            info = streamInfo(stream);
        } catch (StreamNotFoundException | StreamDeletedException none) {
            if (m == StreamMetadata.NONE) {
                throw none; // neither events nor metadata: no such stream
            }
            info = null;
        }
        return new StreamMetadataView(stream, m, info);
    }

    /** The stream's entry; not found without events, deleted or tombstoned as its metadata says. */
    private StreamEntry existing(String stream) {
        StreamEntry s = catalog.get(stream);
        StreamMetadata m = lifecycle.get(stream);
        if (m.tombstoned()) {
            throw new StreamTombstonedException(stream);
        }
        long last = s == null ? -1 : index.lastVersion(s);
        if (last < 0) {
            throw new StreamNotFoundException(stream);
        }
        if (m.deleted(last)) {
            throw new StreamDeletedException(stream);
        }
        return s;
    }

    private static PositionGoneException gone(String stream, long version, long first) {
        return new PositionGoneException("version " + version + " of stream " + stream
                + " was deleted by retention; the first version still held is " + first, first);
    }

    /** The records at {@code positions}, in place; on a failure the views read so far are closed. */
    static ViewPage views(RecordReader records, PositionPage positions) {
        ViewPage page = new ViewPage(positions.count());
        try {
            for (int i = 0; i < positions.count(); i++) {
                page.add(records.view(positions.positions()[i]));
            }
            return page.next(positions.next());
        } catch (RuntimeException e) {
            page.close();
            throw e;
        }
    }

    /** Heap copies of a page of views; closes the views. */
    static ReadPage copies(ViewPage views) {
        try (views) {
            List<RecordedEvent> events = new ArrayList<>(views.size());
            for (EventView v : views.events()) {
                events.add(v.copy());
            }
            return new ReadPage(events, views.next());
        }
    }
}
