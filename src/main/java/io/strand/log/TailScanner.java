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
    /** Where the scan of one segment stopped. */
    record Result(int validEnd, boolean endOfSegment, int stopCode, int stopOffset, int records) {
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
        ByteBuffer view = segment.duplicate();
        int limit = segment.capacity();
        int offset = fromOffset;
        int batchEnd = fromOffset;
        int records = 0;
        while (true) {
            int framed = RecordDescriptor.check(segment, view, crc, offset, limit);
            if (framed <= 0) {
                return new Result(batchEnd, false, framed, offset, records);
            }
            if (RecordDescriptor.isEndOfSegment(segment, offset)) {
                if (batchEnd != offset) {
                    // A marker inside a batch cannot be written by the log: treat as torn.
                    return new Result(batchEnd, false, RecordDescriptor.BAD_LENGTH, offset, records);
                }
                return new Result(limit, true, framed, offset, records);
            }
            records++;
            if (progress != null && (offset >>> 23) != ((offset + framed) >>> 23)) {
                progress.accept(offset + framed);
            }
            offset += framed;
            if ((RecordDescriptor.flags(segment, offset - framed) & RecordDescriptor.FLAG_BATCH_CONTINUES) == 0) {
                batchEnd = offset;
            }
            if (offset == limit) {
                return new Result(batchEnd, batchEnd == limit, RecordDescriptor.EMPTY, offset, records);
            }
        }
    }
}
