package io.strand.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of one record in the commit log; the only class that does offset arithmetic on records.
 * See {@code docs/FORMAT.md} for the prose version. All fields are little-endian, read and written
 * through byte-buffer VarHandles so no shared buffer's {@code order()} is ever mutated.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     length (int32, unpadded)                  |  0
 *  +-------------------------------+---------------+---------------+
 *  |         magic (0x5354)        |   version (2) |     flags     |  4
 *  +-------------------------------+---------------+---------------+
 *  |     crc32c over [0,8) and [12,length)                         |  8
 *  +---------------------------------------------------------------+
 *  |                  timestamp (int64, epoch millis)              | 12
 *  +---------------------------------------------------------------+
 *  |                  stream version (int64)                       | 20
 *  +---------------------------------------------------------------+
 *  |                  event id, most significant 64 bits           | 28
 *  +---------------------------------------------------------------+
 *  |                  event id, least significant 64 bits          | 36
 *  +-------------------------------+-------------------------------+
 *  |  stream length (uint16)       |  type length (uint16)         | 44
 *  +-------------------------------+-------------------------------+
 *  |                  metadata length (int32)                      | 48
 *  +---------------------------------------------------------------+
 *  |                  data length (int32)                          | 52
 *  +---------------------------------------------------------------+
 *  |                  raft index (uint64, 0: not replicated)       | 56
 *  +---------------------------------------------------------------+
 *  |  stream (UTF-8) | type (UTF-8) | metadata | data | zero pad   | 64
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Records start on {@link #ALIGNMENT}-byte boundaries; the next record begins at
 * {@code align(length)}. A record never spans two segments: when the next record does not fit, the
 * rest of the segment is claimed by an end-of-segment marker: a header of {@link #MARKER_LENGTH}
 * bytes whose {@code length} is the number of bytes left in the segment and whose flags carry
 * {@link #FLAG_END_OF_SEGMENT}. A {@code length} of zero means "nothing written here yet".
 *
 * <p>Format 2 added the raft index: the Raft log index of the entry whose replicated apply wrote
 * the record (every record of a batch carries its batch's), so a replica can tell after a crash
 * which entries its log already holds. Format 1 (a 56-byte header without it) is not read: its
 * records are recognised ({@link #isRecordOfAnotherFormat}) so recovery refuses them instead of
 * truncating them as a torn tail.
 */
public final class RecordDescriptor {
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final short MAGIC = 0x5354; // "ST"
    public static final byte VERSION = 2;
    /** log2 of {@link #ALIGNMENT}: a record position shifted right by it loses no bits. */
    public static final int ALIGNMENT_SHIFT = 3;
    public static final int ALIGNMENT = 1 << ALIGNMENT_SHIFT; // 8

    /** Data is opaque bytes rather than JSON. */
    public static final int FLAG_BINARY = 0x01;
    /** More records of the same atomic batch follow; recovery drops a batch whose last record is missing. */
    public static final int FLAG_BATCH_CONTINUES = 0x02;
    /** Not a record: the rest of the segment is unused, the log continues in the next segment. */
    public static final int FLAG_END_OF_SEGMENT = 0x80;

    public static final int LENGTH_OFFSET = 0;
    public static final int LENGTH_LENGTH = 4;
    public static final int MAGIC_OFFSET = LENGTH_OFFSET + LENGTH_LENGTH;
    public static final int MAGIC_LENGTH = 2;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    public static final int VERSION_LENGTH = 1;
    public static final int FLAGS_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    public static final int FLAGS_LENGTH = 1;
    public static final int CRC_OFFSET = FLAGS_OFFSET + FLAGS_LENGTH;
    public static final int CRC_LENGTH = 4;
    public static final int TIMESTAMP_OFFSET = CRC_OFFSET + CRC_LENGTH;
    public static final int TIMESTAMP_LENGTH = 8;
    public static final int STREAM_VERSION_OFFSET = TIMESTAMP_OFFSET + TIMESTAMP_LENGTH;
    public static final int STREAM_VERSION_LENGTH = 8;
    public static final int ID_MSB_OFFSET = STREAM_VERSION_OFFSET + STREAM_VERSION_LENGTH;
    public static final int ID_MSB_LENGTH = 8;
    public static final int ID_LSB_OFFSET = ID_MSB_OFFSET + ID_MSB_LENGTH;
    public static final int ID_LSB_LENGTH = 8;
    public static final int STREAM_LENGTH_OFFSET = ID_LSB_OFFSET + ID_LSB_LENGTH;
    public static final int STREAM_LENGTH_LENGTH = 2;
    public static final int TYPE_LENGTH_OFFSET = STREAM_LENGTH_OFFSET + STREAM_LENGTH_LENGTH;
    public static final int TYPE_LENGTH_LENGTH = 2;
    public static final int METADATA_LENGTH_OFFSET = TYPE_LENGTH_OFFSET + TYPE_LENGTH_LENGTH;
    public static final int METADATA_LENGTH_LENGTH = 4;
    public static final int DATA_LENGTH_OFFSET = METADATA_LENGTH_OFFSET + METADATA_LENGTH_LENGTH;
    public static final int DATA_LENGTH_LENGTH = 4;
    public static final int RAFT_INDEX_OFFSET = DATA_LENGTH_OFFSET + DATA_LENGTH_LENGTH;
    public static final int RAFT_INDEX_LENGTH = 8;
    public static final int HEADER_LENGTH = RAFT_INDEX_OFFSET + RAFT_INDEX_LENGTH; // 64
    public static final int BODY_OFFSET = HEADER_LENGTH;

    /** An end-of-segment marker is the first 8 bytes of a header: length, magic, version, flags. */
    public static final int MARKER_LENGTH = CRC_OFFSET;

    public static final int MAX_NAME_LENGTH = 0xFFFF;

    // Explicit byte order on every access without mutating a shared buffer's order().
    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ORDER);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ORDER);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ORDER);

    private RecordDescriptor() {
    }

    static short getShort(ByteBuffer b, int index) {
        return (short) SHORT.get(b, index);
    }

    static int getInt(ByteBuffer b, int index) {
        return (int) INT.get(b, index);
    }

    static long getLong(ByteBuffer b, int index) {
        return (long) LONG.get(b, index);
    }

    static void putShort(ByteBuffer b, int index, short value) {
        SHORT.set(b, index, value);
    }

    static void putInt(ByteBuffer b, int index, int value) {
        INT.set(b, index, value);
    }

    static void putLong(ByteBuffer b, int index, long value) {
        LONG.set(b, index, value);
    }

    public static int align(int length) {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** Unpadded length of a record with the given field lengths. */
    public static int recordLength(int streamLength, int typeLength, int metadataLength, int dataLength) {
        return HEADER_LENGTH + streamLength + typeLength + metadataLength + dataLength;
    }

    /** Bytes a record of this unpadded length occupies in the log. */
    public static int framedLength(int recordLength) {
        return align(recordLength);
    }

    // ---- accessors over (buffer, offset)

    public static int length(ByteBuffer buffer, int offset) {
        return getInt(buffer, offset + LENGTH_OFFSET);
    }

    public static short magic(ByteBuffer buffer, int offset) {
        return getShort(buffer, offset + MAGIC_OFFSET);
    }

    public static byte version(ByteBuffer buffer, int offset) {
        return buffer.get(offset + VERSION_OFFSET);
    }

    public static int flags(ByteBuffer buffer, int offset) {
        return buffer.get(offset + FLAGS_OFFSET) & 0xFF;
    }

    public static int crc(ByteBuffer buffer, int offset) {
        return getInt(buffer, offset + CRC_OFFSET);
    }

    public static long timestamp(ByteBuffer buffer, int offset) {
        return getLong(buffer, offset + TIMESTAMP_OFFSET);
    }

    public static long streamVersion(ByteBuffer buffer, int offset) {
        return getLong(buffer, offset + STREAM_VERSION_OFFSET);
    }

    public static long idMsb(ByteBuffer buffer, int offset) {
        return getLong(buffer, offset + ID_MSB_OFFSET);
    }

    public static long idLsb(ByteBuffer buffer, int offset) {
        return getLong(buffer, offset + ID_LSB_OFFSET);
    }

    public static int streamLength(ByteBuffer buffer, int offset) {
        return getShort(buffer, offset + STREAM_LENGTH_OFFSET) & 0xFFFF;
    }

    public static int typeLength(ByteBuffer buffer, int offset) {
        return getShort(buffer, offset + TYPE_LENGTH_OFFSET) & 0xFFFF;
    }

    public static int metadataLength(ByteBuffer buffer, int offset) {
        return getInt(buffer, offset + METADATA_LENGTH_OFFSET);
    }

    public static int dataLength(ByteBuffer buffer, int offset) {
        return getInt(buffer, offset + DATA_LENGTH_OFFSET);
    }

    /** The Raft log index of the entry whose apply wrote the record; 0 when it was not replicated. */
    public static long raftIndex(ByteBuffer buffer, int offset) {
        return getLong(buffer, offset + RAFT_INDEX_OFFSET);
    }

    public static int streamOffset(int offset) {
        return offset + BODY_OFFSET;
    }

    public static int typeOffset(ByteBuffer buffer, int offset) {
        return streamOffset(offset) + streamLength(buffer, offset);
    }

    public static int metadataOffset(ByteBuffer buffer, int offset) {
        return typeOffset(buffer, offset) + typeLength(buffer, offset);
    }

    public static int dataOffset(ByteBuffer buffer, int offset) {
        return metadataOffset(buffer, offset) + metadataLength(buffer, offset);
    }

    public static boolean isEndOfSegment(ByteBuffer buffer, int offset) {
        return (flags(buffer, offset) & FLAG_END_OF_SEGMENT) != 0;
    }

    // ---- writers

    /** As {@link #encode(ByteBuffer, ByteBuffer, CRC32C, int, EventRecord, long, long, long, int)}, raft index 0. */
    public static int encode(ByteBuffer buffer, ByteBuffer crcView, CRC32C crc, int offset,
                             EventRecord record, long streamVersion, long timestampMillis, int extraFlags) {
        return encode(buffer, crcView, crc, offset, record, streamVersion, timestampMillis, 0, extraFlags);
    }

    /**
     * Encodes one record at {@code offset} and returns its framed (aligned) length. The caller has
     * checked that {@link #framedLength} bytes fit. Padding is zeroed so the bytes after a record
     * are deterministic. {@code crcView} is a reusable duplicate of {@code buffer} used for the
     * checksum (its position and limit are clobbered).
     */
    public static int encode(ByteBuffer buffer, ByteBuffer crcView, CRC32C crc, int offset, EventRecord record,
                             long streamVersion, long timestampMillis, long raftIndex, int extraFlags) {
        ByteBuffer b = buffer;
        int streamLength = record.stream().length;
        int typeLength = record.type().length;
        int metadataLength = record.metadata().length;
        int dataLength = record.data().length;
        int length = recordLength(streamLength, typeLength, metadataLength, dataLength);
        int flags = (record.binary() ? FLAG_BINARY : 0) | extraFlags;

        putInt(b, offset + LENGTH_OFFSET, length);
        putShort(b, offset + MAGIC_OFFSET, MAGIC);
        b.put(offset + VERSION_OFFSET, VERSION);
        b.put(offset + FLAGS_OFFSET, (byte) flags);
        putLong(b, offset + TIMESTAMP_OFFSET, timestampMillis);
        putLong(b, offset + STREAM_VERSION_OFFSET, streamVersion);
        putLong(b, offset + ID_MSB_OFFSET, record.idMsb());
        putLong(b, offset + ID_LSB_OFFSET, record.idLsb());
        putShort(b, offset + STREAM_LENGTH_OFFSET, (short) streamLength);
        putShort(b, offset + TYPE_LENGTH_OFFSET, (short) typeLength);
        putInt(b, offset + METADATA_LENGTH_OFFSET, metadataLength);
        putInt(b, offset + DATA_LENGTH_OFFSET, dataLength);
        putLong(b, offset + RAFT_INDEX_OFFSET, raftIndex);
        int at = offset + BODY_OFFSET;
        b.put(at, record.stream());
        at += streamLength;
        b.put(at, record.type());
        at += typeLength;
        b.put(at, record.metadata());
        at += metadataLength;
        b.put(at, record.data());
        int framed = align(length);
        for (int pad = offset + length; pad < offset + framed; pad++) {
            b.put(pad, (byte) 0);
        }
        putInt(b, offset + CRC_OFFSET, computeCrc(crcView, crc, offset, length));
        return framed;
    }

    /** Writes an end-of-segment marker claiming {@code remaining} bytes (at least {@link #MARKER_LENGTH}). */
    public static void encodeEndOfSegment(ByteBuffer buffer, int offset, int remaining) {
        ByteBuffer b = buffer;
        putInt(b, offset + LENGTH_OFFSET, remaining);
        putShort(b, offset + MAGIC_OFFSET, MAGIC);
        b.put(offset + VERSION_OFFSET, VERSION);
        b.put(offset + FLAGS_OFFSET, (byte) FLAG_END_OF_SEGMENT);
    }

    /** CRC32C over the record's bytes except the CRC field itself: [0, 8) and [12, length). */
    public static int computeCrc(ByteBuffer view, CRC32C crc, int offset, int length) {
        crc.reset();
        view.limit(offset + CRC_OFFSET).position(offset);
        crc.update(view);
        view.limit(offset + length).position(offset + TIMESTAMP_OFFSET);
        crc.update(view);
        return (int) crc.getValue();
    }

    // ---- validation

    /** Outcome of {@link #check}: a framed length when positive, otherwise one of the negative codes. */
    public static final int EMPTY = 0;
    public static final int TRUNCATED = -1;
    public static final int BAD_MAGIC = -2;
    public static final int BAD_LENGTH = -3;
    public static final int BAD_CRC = -4;
    /** The magic is right but the version is not this format's (see {@link #isRecordOfAnotherFormat}). */
    public static final int BAD_VERSION = -5;

    /**
     * Checks the record (or end-of-segment marker) at {@code offset}, with {@code limit} the end of
     * readable bytes in this segment. Returns its framed length, {@link #EMPTY} when nothing was
     * written there, or a negative code naming what is wrong.
     */
    public static int check(ByteBuffer buffer, ByteBuffer crcView, CRC32C crc, int offset, int limit) {
        if (limit - offset < MARKER_LENGTH) {
            return limit == offset ? EMPTY : TRUNCATED;
        }
        int length = length(buffer, offset);
        if (length == 0 && magic(buffer, offset) == 0) {
            return EMPTY;
        }
        if (magic(buffer, offset) != MAGIC) {
            return BAD_MAGIC;
        }
        if (version(buffer, offset) != VERSION) {
            return BAD_VERSION;
        }
        if (isEndOfSegment(buffer, offset)) {
            // The marker must claim exactly the rest of the segment.
            return length == limit - offset ? length : BAD_LENGTH;
        }
        if (length < HEADER_LENGTH || (length & 0x80000000) != 0) {
            return BAD_LENGTH;
        }
        if (align(length) > limit - offset) {
            return TRUNCATED;
        }
        long fields = (long) HEADER_LENGTH + streamLength(buffer, offset) + typeLength(buffer, offset)
                + metadataLength(buffer, offset) + dataLength(buffer, offset);
        if (fields != length || metadataLength(buffer, offset) < 0 || dataLength(buffer, offset) < 0) {
            return BAD_LENGTH;
        }
        if (computeCrc(crcView, crc, offset, length) != crc(buffer, offset)) {
            return BAD_CRC;
        }
        return align(length);
    }

    /**
     * True when the bytes at {@code offset} are a whole record of another format version (an older
     * or a newer Strand's), not damage: the magic is right, the version is not {@link #VERSION}, and
     * the CRC-32C over [0, 8) and [12, length) matches; every format so far checksums those ranges
     * (format 1 differs only in its 56-byte header). A torn write leaves zeros and a flipped bit
     * fails the CRC, so neither passes for one. Markers carry no CRC and never pass.
     */
    static boolean isRecordOfAnotherFormat(ByteBuffer buffer, ByteBuffer crcView, CRC32C crc, int offset, int limit) {
        if (limit - offset < TIMESTAMP_OFFSET || magic(buffer, offset) != MAGIC || version(buffer, offset) == VERSION
                || isEndOfSegment(buffer, offset)) {
            return false;
        }
        int length = length(buffer, offset);
        return length >= TIMESTAMP_OFFSET && length <= limit - offset
                && computeCrc(crcView, crc, offset, length) == crc(buffer, offset);
    }

    public static String describe(int code) {
        switch (code) {
            case EMPTY: return "empty";
            case TRUNCATED: return "truncated";
            case BAD_MAGIC: return "bad-magic";
            case BAD_LENGTH: return "bad-length";
            case BAD_CRC: return "bad-crc";
            case BAD_VERSION: return "bad-version";
            default: return "valid";
        }
    }
}
