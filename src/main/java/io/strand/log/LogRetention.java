package io.strand.log;

import java.io.IOException;

/**
 * Retention: decides how many of the oldest whole segments may go (by age or by size) and deletes
 * them, never one holding uncommitted or unflushed bytes. Owns no state: it reads the segments,
 * the committed and flushed positions, and the first record of each segment through the
 * {@link LogReader}. Exists apart from {@link CommitLog} because it is the one job that removes
 * what the others read and write, run from its own scheduler thread.
 *
 * <p>Thread-safe: the positions are volatile loads; {@link Segments#removeBefore} is synchronized,
 * and a segment deleted here stays mapped until its last reader releases it.
 */
final class LogRetention {
    private final Segments segments;
    private final CommittedPosition committed;
    private final FlushService flushService;
    private final LogReader reader;

    LogRetention(Segments segments, CommittedPosition committed, FlushService flushService, LogReader reader) {
        this.segments = segments;
        this.committed = committed;
        this.flushService = flushService;
        this.reader = reader;
    }

    /** See {@link CommitLog#retentionCut(long, long, long)}. */
    long cut(long maxAgeMillis, long maxBytes, long nowMillis) {
        Segment[] segs = segments.snapshot();
        long committedNow = committed.get();
        long cut = segments.firstPosition();
        for (int i = 0; i + 1 < segs.length; i++) {
            Segment s = segs[i];
            boolean tooBig = maxBytes > 0 && committedNow - s.endPosition() >= maxBytes;
            boolean tooOld = false;
            if (maxAgeMillis > 0 && committedNow > segs[i + 1].basePosition()) {
                try (LogSlice next = reader.readRecord(segs[i + 1].basePosition())) {
                    tooOld = next != null
                            && RecordDescriptor.timestamp(next.buffer(), 0) < nowMillis - maxAgeMillis;
                } catch (RuntimeException gone) {
                    tooOld = false;
                }
            }
            if (!tooBig && !tooOld) {
                break;
            }
            cut = s.endPosition();
        }
        return cut;
    }

    /** See {@link CommitLog#deleteBefore(long)}. */
    int deleteBefore(long position) throws IOException {
        long keepFrom = segments.baseOf(Math.min(committed.get(), flushService.flushedPosition()));
        return segments.removeBefore(position, keepFrom);
    }
}
