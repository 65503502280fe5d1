package io.strand.log;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where every corrupt record the log finds is reported, by reads, cursors and the {@link Scrubber}
 * alike: it counts each position once and logs one ERROR line per position (position, segment file,
 * what failed), so a record read a thousand times, or found by the scrubber and then by a read, is
 * one count and one line. The positions reported are remembered in a bounded set
 * ({@link #REMEMBERED} most recent); a position evicted from it and found again counts again.
 *
 * <p>Thread-safe: the set is guarded by this object's monitor, taken only on a failure, never on
 * a read that verifies. Exists apart from the readers so that every finder shares one de-dup.
 */
final class CorruptRecords {
    static final int REMEMBERED = 4096;
    private static final System.Logger LOG = System.getLogger(CorruptRecords.class.getName());

    private final AtomicLong count = new AtomicLong();
    private final Map<Long, Boolean> reported = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    /**
     * Records that the record at {@code position} of the segment starting at {@code segmentBase}
     * failed with {@code code} (a {@link RecordDescriptor#check} code), and returns the exception
     * to throw.
     */
    CorruptRecordException report(long position, long segmentBase, int code) {
        String segment = Segment.fileName(segmentBase);
        String reason = RecordDescriptor.describe(code);
        boolean first;
        synchronized (reported) {
            first = reported.put(position, Boolean.TRUE) == null;
        }
        if (first) {
            count.incrementAndGet();
            LOG.log(System.Logger.Level.ERROR, "corrupt record: position=" + position + ", segment=" + segment
                    + ", found=" + reason + " (it is answered as corrupt-record, never served)");
        }
        return new CorruptRecordException(position, segment, reason, code == RecordDescriptor.BAD_CRC);
    }

    /** Distinct corrupt positions reported so far. */
    long count() {
        return count.get();
    }
}
