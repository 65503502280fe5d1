package io.strand.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Finds where the valid log ends inside one segment: walks records from an offset, validating
 * length, magic and CRC32C, and remembers the end of the last complete atomic batch (a record
 * without {@link RecordDescriptor#FLAG_BATCH_CONTINUES}). A pure function of the bytes, so it is
 * unit-tested on its own; {@link LogRecovery} strings segments together. Not thread-safe (scratch).
 */
final class TailScanner {
    /**
     * Where the scan of one segment stopped. {@code lastBatchOffset} is where the last complete
     * batch it walked starts (its records carry the batch's timestamp and raft index), -1 if none.
     */
    record Result(int validEnd, boolean endOfSegment, int stopCode, int stopOffset, int records, int lastBatchOffset) {
        /** True when the bytes stopped at something other than clean zeros or a marker. */
        boolean corrupt() {
            return !endOfSegment && stopCode != RecordDescriptor.EMPTY;
        }
    }

    private final CRC32C crc = new CRC32C();

    /**
     * Scans {@code segment} (a buffer of the whole segment) from {@code fromOffset}. {@code validEnd}
     * is the offset after the last complete batch; with {@code endOfSegment} the segment closed with a
     * valid marker and the log continues in the next segment.
     */
    Result scan(ByteBuffer segment, int fromOffset) {
        return scan(segment, fromOffset, null);
    }

    /** As {@link #scan(ByteBuffer, int)}, telling {@code progress} the offset reached every 8 MiB. */
    Result scan(ByteBuffer segment, int fromOffset, java.util.function.IntConsumer progress) {
        return scan(segment, fromOffset, segment.capacity(), progress);
    }

    /**
     * As {@link #scan(ByteBuffer, int, java.util.function.IntConsumer)}, reading nothing at or past
     * {@code limit} (the tail when it lies in this segment; the segment's size otherwise).
     */
    Result scan(ByteBuffer segment, int fromOffset, int limit, java.util.function.IntConsumer progress) {
        ByteBuffer view = segment.duplicate();
        int offset = fromOffset;
        int batchEnd = fromOffset;
        int lastBatch = -1;
        int records = 0;
        while (true) {
            int framed = RecordDescriptor.check(segment, view, crc, offset, limit);
            if (framed <= 0) {
                return new Result(batchEnd, false, framed, offset, records, lastBatch);
            }
            if (RecordDescriptor.isEndOfSegment(segment, offset)) {
                if (batchEnd != offset) {
                    // A marker inside a batch cannot be written by the log: treat as torn.
                    return new Result(batchEnd, false, RecordDescriptor.BAD_LENGTH, offset, records, lastBatch);
                }
                return new Result(limit, true, framed, offset, records, lastBatch);
            }
            records++;
            if (progress != null && (offset >>> 23) != ((offset + framed) >>> 23)) {
                progress.accept(offset + framed);
            }
            offset += framed;
            if ((RecordDescriptor.flags(segment, offset - framed) & RecordDescriptor.FLAG_BATCH_CONTINUES) == 0) {
                lastBatch = batchEnd;
                batchEnd = offset;
            }
            if (offset == limit) {
                return new Result(batchEnd, batchEnd == limit, RecordDescriptor.EMPTY, offset, records, lastBatch);
            }
        }
    }
}
