package io.strand.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Verifies records in bytes a caller holds from {@link CommitLog#readSegment} (the binary page's
 * mapped segments) before it hands them on: the CPU reads them for the CRC-32C, nothing is copied.
 * It keeps its own checksum and a duplicate view of the last segment buffer it saw (the checksum
 * needs position and limit; the shared buffer is never mutated), so verifying allocates nothing per
 * record. A record that fails is reported to the log's {@link CorruptRecords} (counted and logged
 * once per position) and thrown as {@link CorruptRecordException}.
 *
 * <p>Not thread-safe: one per reading task (a page being built).
 */
public final class RecordVerifier {
    private final CorruptRecords corrupt;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer buffer;
    private ByteBuffer view;

    RecordVerifier(CorruptRecords corrupt) {
        this.corrupt = corrupt;
    }

    /**
     * Verifies the record at {@code offset} of {@code segment} (a segment's committed bytes from its
     * start, at log position {@code base}) and returns its unpadded length.
     */
    public int verify(ByteBuffer segment, long base, int offset) {
        if (segment != buffer) {
            buffer = segment;
            view = segment.duplicate();
        }
        int code = RecordDescriptor.check(segment, view, crc, offset, segment.limit());
        if (code > 0 && RecordDescriptor.isEndOfSegment(segment, offset)) {
            code = RecordDescriptor.BAD_LENGTH; // a position given out never names a marker
        }
        if (code <= 0) {
            throw corrupt.report(base + offset, base, code);
        }
        return RecordDescriptor.length(segment, offset);
    }
}
