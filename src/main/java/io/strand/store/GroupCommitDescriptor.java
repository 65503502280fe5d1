package io.strand.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Layout of a consumer-group commit: the data of an event of the store's stream {@code $groups};
 * the only class that does offset arithmetic on it. Little-endian, through byte-buffer VarHandles
 * (explicit order on every access). The record's CRC32C (see {@code docs/FORMAT.md}) covers these
 * bytes; the payload has no checksum of its own.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+---------------+---------------+
 *  |     magic (0x4753, "SG")      |  format (1)   | reserved (0)  |  0
 *  +-------------------------------+---------------+---------------+
 *  |        committed version (int64; -1: nothing consumed)        |  4
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |  group length (uint16)        |  stream length (uint16)       | 12
 *  +-------------------------------+-------------------------------+
 *  |  group (UTF-8)  |  stream (UTF-8)                             | 16
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <b>Format 0</b> (before magic and format were added; still read, never written):
 * {@code u16 group length, group, u16 stream length, stream, i64 version}. It is told apart by its
 * first two bytes: a group name is at most {@link StreamNames#MAX_LENGTH} bytes (its characters are
 * ASCII), so a format-0 payload never starts with the magic.
 */
final class GroupCommitDescriptor {
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final short MAGIC = 0x4753; // bytes "SG"
    static final byte FORMAT = 1;
    /** What {@link #check} answers for a payload written before the magic (format 0). */
    static final int LEGACY_FORMAT = 0;

    static final int MAGIC_OFFSET = 0;
    static final int MAGIC_LENGTH = 2;
    static final int FORMAT_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    static final int FORMAT_LENGTH = 1;
    static final int RESERVED_OFFSET = FORMAT_OFFSET + FORMAT_LENGTH;
    static final int RESERVED_LENGTH = 1;
    static final int VERSION_OFFSET = RESERVED_OFFSET + RESERVED_LENGTH;
    static final int VERSION_LENGTH = 8;
    static final int GROUP_LENGTH_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    static final int GROUP_LENGTH_LENGTH = 2;
    static final int STREAM_LENGTH_OFFSET = GROUP_LENGTH_OFFSET + GROUP_LENGTH_LENGTH;
    static final int STREAM_LENGTH_LENGTH = 2;
    static final int HEADER_LENGTH = STREAM_LENGTH_OFFSET + STREAM_LENGTH_LENGTH; // 16
    static final int GROUP_OFFSET = HEADER_LENGTH;

    /** Format 0: {@code u16 group length} at 0, the group after it. */
    private static final int LEGACY_GROUP_OFFSET = 2;
    private static final int LEGACY_LENGTH_LENGTH = 2;
    private static final int LEGACY_VERSION_LENGTH = 8;

    /** {@link #check} codes: a format number when not negative, else what is wrong. */
    static final int TRUNCATED = -1;
    static final int BAD_MAGIC = -2;
    static final int BAD_FORMAT = -3;
    static final int BAD_LENGTH = -4;

    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ORDER);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ORDER);

    private GroupCommitDescriptor() {
    }

    /** A commit in the current format. */
    static byte[] encode(String group, String stream, long version) {
        byte[] g = group.getBytes(StandardCharsets.UTF_8);
        byte[] s = stream.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + g.length + s.length);
        SHORT.set(b, MAGIC_OFFSET, MAGIC);
        b.put(FORMAT_OFFSET, FORMAT);
        b.put(RESERVED_OFFSET, (byte) 0);
        LONG.set(b, VERSION_OFFSET, version);
        SHORT.set(b, GROUP_LENGTH_OFFSET, (short) g.length);
        SHORT.set(b, STREAM_LENGTH_OFFSET, (short) s.length);
        b.put(GROUP_OFFSET, g);
        b.put(GROUP_OFFSET + g.length, s);
        return b.array();
    }

    /**
     * Checks the payload in {@code b[0, b.limit())}: {@link #FORMAT} or {@link #LEGACY_FORMAT}
     * when its lengths add up to exactly the payload, else a negative code.
     */
    static int check(ByteBuffer b) {
        int limit = b.limit();
        if (limit < MAGIC_LENGTH) {
            return TRUNCATED;
        }
        int first = u16(b, MAGIC_OFFSET);
        if (first == (MAGIC & 0xFFFF)) {
            if (limit < HEADER_LENGTH) {
                return TRUNCATED;
            }
            if (b.get(FORMAT_OFFSET) != FORMAT) {
                return BAD_FORMAT;
            }
            return HEADER_LENGTH + groupLength(b) + streamLength(b) == limit ? FORMAT : BAD_LENGTH;
        }
        if (first == 0 || first > StreamNames.MAX_LENGTH) {
            return BAD_MAGIC;
        }
        int streamLengthAt = LEGACY_GROUP_OFFSET + first;
        if (streamLengthAt + LEGACY_LENGTH_LENGTH > limit) {
            return TRUNCATED;
        }
        long total = (long) streamLengthAt + LEGACY_LENGTH_LENGTH + u16(b, streamLengthAt) + LEGACY_VERSION_LENGTH;
        return total == limit ? LEGACY_FORMAT : BAD_LENGTH;
    }

    static String describe(int code) {
        switch (code) {
            case TRUNCATED: return "truncated";
            case BAD_MAGIC: return "bad-magic";
            case BAD_FORMAT: return "bad-format";
            case BAD_LENGTH: return "bad-length";
            default: return "format-" + code;
        }
    }

    // ---- accessors over a checked payload of the given format

    static long version(ByteBuffer b, int format) {
        if (format == LEGACY_FORMAT) {
            return (long) LONG.get(b, b.limit() - LEGACY_VERSION_LENGTH);
        }
        return (long) LONG.get(b, VERSION_OFFSET);
    }

    static String group(ByteBuffer b, int format) {
        if (format == LEGACY_FORMAT) {
            return string(b, LEGACY_GROUP_OFFSET, u16(b, 0));
        }
        return string(b, GROUP_OFFSET, groupLength(b));
    }

    static String stream(ByteBuffer b, int format) {
        if (format == LEGACY_FORMAT) {
            int groupLength = u16(b, 0);
            int at = LEGACY_GROUP_OFFSET + groupLength;
            return string(b, at + LEGACY_LENGTH_LENGTH, u16(b, at));
        }
        return string(b, GROUP_OFFSET + groupLength(b), streamLength(b));
    }

    private static int groupLength(ByteBuffer b) {
        return u16(b, GROUP_LENGTH_OFFSET);
    }

    private static int streamLength(ByteBuffer b) {
        return u16(b, STREAM_LENGTH_OFFSET);
    }

    private static int u16(ByteBuffer b, int index) {
        return (short) SHORT.get(b, index) & 0xFFFF;
    }

    private static String string(ByteBuffer b, int offset, int length) {
        byte[] bytes = new byte[length];
        b.get(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A format-0 payload, for tests that load commits written before format 1. */
    static byte[] encodeLegacy(String group, String stream, long version) {
        byte[] g = group.getBytes(StandardCharsets.UTF_8);
        byte[] s = stream.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(LEGACY_GROUP_OFFSET + g.length + LEGACY_LENGTH_LENGTH + s.length
                + LEGACY_VERSION_LENGTH);
        SHORT.set(b, 0, (short) g.length);
        b.put(LEGACY_GROUP_OFFSET, g);
        SHORT.set(b, LEGACY_GROUP_OFFSET + g.length, (short) s.length);
        b.put(LEGACY_GROUP_OFFSET + g.length + LEGACY_LENGTH_LENGTH, s);
        LONG.set(b, b.limit() - LEGACY_VERSION_LENGTH, version);
        return b.array();
    }
}
