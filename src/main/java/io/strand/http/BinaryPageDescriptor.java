package io.strand.http;

import io.netty.buffer.ByteBuf;

/**
 * Layout of the HTTP binary page ({@code Accept: application/octet-stream} on {@code GET /streams/{s}}
 * and {@code GET /all}, docs/FORMAT.md "HTTP binary pages"); the only class that does offset arithmetic
 * on it. All fields are little-endian, read and written with Netty's explicit {@code …LE} accessors.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                   count (uint32, events in the page)          |  0
 *  +---------------------------------------------------------------+
 *  |  table: count entries of ENTRY_LENGTH (12) bytes, page order  |  4
 *  |  +-----------------------------------------------------------+|
 *  |  |            record length (uint32, unpadded)               ||  entry + 0
 *  |  +-----------------------------------------------------------+|
 *  |  |            log position (int64)                           ||  entry + 4
 *  |  +-----------------------------------------------------------+|
 *  +---------------------------------------------------------------+
 *  |  records, page order, each exactly as stored in the log       |  4 + 12 * count
 *  |  (header with CRC-32C, stream, type, metadata, data) and      |
 *  |  zero-padded to RECORD_ALIGNMENT (8) bytes                    |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Record {@code i} starts at {@code recordsOffset(count) + sum(framedLength(length_j), j < i)}. The
 * records come last, so runs of adjacent log records go out as one slice of the mapped segment.
 *
 * <p>No magic number or version: this is not a file Strand writes but a wire format, identified and
 * versioned by its media type ({@code application/octet-stream} on these endpoints today); a new
 * layout would be negotiated as a new media type through {@code Accept}, never sniffed from bytes.
 * The records inside keep the log's own magic, version and CRC-32C (docs/FORMAT.md "Record").
 */
final class BinaryPageDescriptor {
    public static final int COUNT_OFFSET = 0;
    public static final int COUNT_LENGTH = 4;
    public static final int TABLE_OFFSET = COUNT_OFFSET + COUNT_LENGTH;

    /** Within a table entry. */
    public static final int ENTRY_RECORD_LENGTH_OFFSET = 0;
    public static final int ENTRY_RECORD_LENGTH_LENGTH = 4;
    public static final int ENTRY_POSITION_OFFSET = ENTRY_RECORD_LENGTH_OFFSET + ENTRY_RECORD_LENGTH_LENGTH;
    public static final int ENTRY_POSITION_LENGTH = 8;
    public static final int ENTRY_LENGTH = ENTRY_POSITION_OFFSET + ENTRY_POSITION_LENGTH;

    /** Records are padded with zeros to this many bytes, as in the log. */
    public static final int RECORD_ALIGNMENT = 8;

    /** {@link #check} results. */
    public static final int OK = 0;
    public static final int CHECK_TOO_SHORT = 1;
    public static final int CHECK_BAD_COUNT = 2;
    public static final int CHECK_BAD_RECORD_LENGTH = 3;
    public static final int CHECK_TRUNCATED = 4;
    public static final int CHECK_BAD_PADDING = 5;
    public static final int CHECK_TRAILING_BYTES = 6;

    private BinaryPageDescriptor() {
    }

    /** Bytes of the count and the table of a page of {@code count} events: where the records start. */
    public static int recordsOffset(int count) {
        return TABLE_OFFSET + count * ENTRY_LENGTH;
    }

    /** Offset of table entry {@code index}. */
    public static int entryOffset(int index) {
        return TABLE_OFFSET + index * ENTRY_LENGTH;
    }

    /** Bytes a record of {@code recordLength} takes in the page (and the log). */
    public static int framedLength(int recordLength) {
        return (recordLength + RECORD_ALIGNMENT - 1) & -RECORD_ALIGNMENT;
    }

    /** Writes the count and leaves the writer index at the table. */
    public static ByteBuf writeCount(ByteBuf page, int count) {
        return page.writeIntLE(count);
    }

    /** Appends the next table entry at the writer index. */
    public static ByteBuf writeEntry(ByteBuf page, int recordLength, long position) {
        return page.writeIntLE(recordLength).writeLongLE(position);
    }

    public static int count(ByteBuf page, int pageOffset) {
        return page.getIntLE(pageOffset + COUNT_OFFSET);
    }

    public static int recordLength(ByteBuf page, int pageOffset, int index) {
        return page.getIntLE(pageOffset + entryOffset(index) + ENTRY_RECORD_LENGTH_OFFSET);
    }

    public static long position(ByteBuf page, int pageOffset, int index) {
        return page.getLongLE(pageOffset + entryOffset(index) + ENTRY_POSITION_OFFSET);
    }

    /**
     * Checks the page's framing in {@code [pageOffset, pageOffset + length)} of {@code page}: a count
     * whose table fits, record lengths of at least {@code minRecordLength}, records that fit, zero
     * padding, and nothing after the last record. Returns {@link #OK} or a {@code CHECK_…} code; the
     * records' own contents (magic, CRC-32C) are the log's format, checked with its descriptor.
     */
    public static int check(ByteBuf page, int pageOffset, int length, int minRecordLength) {
        if (length < TABLE_OFFSET) {
            return CHECK_TOO_SHORT;
        }
        int count = count(page, pageOffset);
        if (count < 0 || (long) TABLE_OFFSET + (long) count * ENTRY_LENGTH > length) {
            return CHECK_BAD_COUNT;
        }
        long at = recordsOffset(count);
        for (int i = 0; i < count; i++) {
            int recordLength = recordLength(page, pageOffset, i);
            if (recordLength < minRecordLength) {
                return CHECK_BAD_RECORD_LENGTH;
            }
            long end = at + recordLength;
            long framedEnd = at + framedLength(recordLength);
            if (framedEnd > length) {
                return CHECK_TRUNCATED;
            }
            for (long pad = end; pad < framedEnd; pad++) {
                if (page.getByte(pageOffset + (int) pad) != 0) {
                    return CHECK_BAD_PADDING;
                }
            }
            at = framedEnd;
        }
        return at == length ? OK : CHECK_TRAILING_BYTES;
    }
}
