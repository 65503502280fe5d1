package io.strand.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Layout of a stream's metadata: the data of an event of the store's stream {@code $meta} (and, in
 * a cluster, of a stream change's command); the only class that does offset arithmetic on it.
 * Little-endian. The record's CRC32C covers it.
 *
 * <pre>
 * offset size field
 *  0      2   magic            0x4D53, bytes "SM"
 *  2      1   format           1
 *  3      1   flags            bit 0 tombstoned, 1 maxCount set, 2 maxAge set, 3 truncateBefore set,
 *                              4 custom set
 *  4      8   maxCount         (0 when not set)
 * 12      8   maxAge           seconds (0 when not set)
 * 20      8   truncateBefore   (0 when not set)
 * 28      8   deletedBefore    -1: never soft-deleted
 * 36      2   stream length    UTF-8 bytes
 * 38      4   custom length    UTF-8 bytes of a JSON object's text
 * 42      …   stream, custom
 * </pre>
 */
public final class StreamMetadataDescriptor {
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final short MAGIC = 0x4D53;
    static final byte FORMAT = 1;
    static final int FLAGS_OFFSET = 3;
    static final int MAX_COUNT_OFFSET = 4;
    static final int MAX_AGE_OFFSET = 12;
    static final int TRUNCATE_BEFORE_OFFSET = 20;
    static final int DELETED_BEFORE_OFFSET = 28;
    static final int STREAM_LENGTH_OFFSET = 36;
    static final int CUSTOM_LENGTH_OFFSET = 38;
    static final int HEADER_LENGTH = 42;
    private static final int TOMBSTONED = 1;
    private static final int HAS_MAX_COUNT = 2;
    private static final int HAS_MAX_AGE = 4;
    private static final int HAS_TRUNCATE_BEFORE = 8;
    private static final int HAS_CUSTOM = 16;

    /** A stream's name and its metadata, as decoded. */
    public record Decoded(String stream, StreamMetadata metadata) {
    }

    private StreamMetadataDescriptor() {
    }

    public static byte[] encode(String stream, StreamMetadata m) {
        byte[] name = stream.getBytes(StandardCharsets.UTF_8);
        byte[] custom = m.custom() == null ? new byte[0] : m.custom().getBytes(StandardCharsets.UTF_8);
        int flags = (m.tombstoned() ? TOMBSTONED : 0) | (m.maxCount() != null ? HAS_MAX_COUNT : 0)
                | (m.maxAge() != null ? HAS_MAX_AGE : 0) | (m.truncateBefore() != null ? HAS_TRUNCATE_BEFORE : 0)
                | (m.custom() != null ? HAS_CUSTOM : 0);
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + name.length + custom.length).order(ORDER);
        b.putShort(MAGIC).put(FORMAT).put((byte) flags)
                .putLong(orZero(m.maxCount())).putLong(orZero(m.maxAge())).putLong(orZero(m.truncateBefore()))
                .putLong(m.deletedBefore()).putShort((short) name.length).putInt(custom.length)
                .put(name).put(custom);
        return b.array();
    }

    /** Decodes what {@link #encode} wrote; {@link IllegalArgumentException} for anything else. */
    public static Decoded decode(ByteBuffer in) {
        ByteBuffer b = in.slice().order(ORDER);
        if (b.remaining() < HEADER_LENGTH || b.getShort(0) != MAGIC || b.get(2) != FORMAT) {
            throw new IllegalArgumentException("not stream metadata of format " + FORMAT + ": " + b.remaining() + " bytes");
        }
        int flags = b.get(FLAGS_OFFSET);
        int nameLength = Short.toUnsignedInt(b.getShort(STREAM_LENGTH_OFFSET));
        int customLength = b.getInt(CUSTOM_LENGTH_OFFSET);
        if (customLength < 0 || HEADER_LENGTH + nameLength + customLength > b.limit()) {
            throw new IllegalArgumentException("stream metadata overruns its " + b.limit() + " bytes");
        }
        String stream = string(b, HEADER_LENGTH, nameLength);
        String custom = (flags & HAS_CUSTOM) != 0 ? string(b, HEADER_LENGTH + nameLength, customLength) : null;
        StreamMetadata m = new StreamMetadata(
                (flags & HAS_MAX_COUNT) != 0 ? b.getLong(MAX_COUNT_OFFSET) : null,
                (flags & HAS_MAX_AGE) != 0 ? b.getLong(MAX_AGE_OFFSET) : null,
                (flags & HAS_TRUNCATE_BEFORE) != 0 ? b.getLong(TRUNCATE_BEFORE_OFFSET) : null,
                custom, b.getLong(DELETED_BEFORE_OFFSET), (flags & TOMBSTONED) != 0);
        return new Decoded(stream, m);
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }

    private static String string(ByteBuffer b, int at, int length) {
        byte[] bytes = new byte[length];
        b.get(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
