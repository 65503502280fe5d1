package io.strand.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of the header every index file starts with ({@code index/streams} and each
 * {@code index/entries/<segment>}); the only class that does offset arithmetic on it. Little-endian,
 * through byte-buffer VarHandles, 20 bytes:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  magic (int32): "SIXS" index/streams, "SIXE" index/entries/*  |  0
 *  +---------------------------------------------------------------+
 *  |  version (int32): the file's format version, 1                |  4
 *  +---------------------------------------------------------------+
 *  |  base (int64): index/entries: log position of the file's      |  8
 *  |  segment (the one its name gives); index/streams: 0           |
 *  +---------------------------------------------------------------+
 *  |  crc32c (int32) over bytes [0, 16) of the header only        | 16
 *  +---------------------------------------------------------------+
 *  |  entries (their own layouts and CRCs)                          | 20
 * </pre>
 *
 * A file whose header does not {@link #check} is not read: the index is derived data, and it is
 * rebuilt from the log instead (docs/FORMAT.md).
 */
final class IndexHeaderDescriptor {
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final int STREAMS_MAGIC = 0x53584953; // "SIXS" little-endian
    static final int ENTRIES_MAGIC = 0x45584953; // "SIXE" little-endian
    static final int STREAMS_VERSION = 1;
    static final int ENTRIES_VERSION = 1;

    static final int MAGIC_OFFSET = 0;
    static final int MAGIC_LENGTH = 4;
    static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    static final int VERSION_LENGTH = 4;
    static final int BASE_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    static final int BASE_LENGTH = 8;
    static final int CRC_OFFSET = BASE_OFFSET + BASE_LENGTH;
    static final int CRC_LENGTH = 4;
    static final int LENGTH = CRC_OFFSET + CRC_LENGTH; // 20

    /** {@link #check} results: valid, or why not. */
    static final int VALID = 0;
    static final int TRUNCATED = -1;
    static final int BAD_MAGIC = -2;
    static final int BAD_VERSION = -3;
    static final int BAD_CRC = -4;
    static final int BAD_BASE = -5;

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ORDER);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ORDER);

    private IndexHeaderDescriptor() {
    }

    static int magic(ByteBuffer b, int offset) {
        return (int) INT.get(b, offset + MAGIC_OFFSET);
    }

    static int version(ByteBuffer b, int offset) {
        return (int) INT.get(b, offset + VERSION_OFFSET);
    }

    static long base(ByteBuffer b, int offset) {
        return (long) LONG.get(b, offset + BASE_OFFSET);
    }

    static int crc(ByteBuffer b, int offset) {
        return (int) INT.get(b, offset + CRC_OFFSET);
    }

    /** CRC-32C of the header's bytes {@code [offset, offset + 16)} in a heap buffer. */
    static int computeCrc(ByteBuffer b, int offset, CRC32C crc) {
        crc.reset();
        crc.update(b.array(), b.arrayOffset() + offset, CRC_OFFSET);
        return (int) crc.getValue();
    }

    /** Writes a header (CRC included) at {@code offset} of a heap buffer. */
    static void encode(ByteBuffer b, int offset, CRC32C crc, int magic, int version, long base) {
        INT.set(b, offset + MAGIC_OFFSET, magic);
        INT.set(b, offset + VERSION_OFFSET, version);
        LONG.set(b, offset + BASE_OFFSET, base);
        INT.set(b, offset + CRC_OFFSET, computeCrc(b, offset, crc));
    }

    /**
     * Checks the {@code available} bytes at {@code offset} of a heap buffer against the header a
     * reader of this version expects: {@link #VALID}, or a negative code ({@link #describe}).
     */
    static int check(ByteBuffer b, int offset, int available, CRC32C crc, int expectedMagic, int expectedVersion,
                     long expectedBase) {
        if (available < LENGTH) {
            return TRUNCATED;
        }
        if (magic(b, offset) != expectedMagic) {
            return BAD_MAGIC;
        }
        if (crc(b, offset) != computeCrc(b, offset, crc)) {
            return BAD_CRC;
        }
        if (version(b, offset) != expectedVersion) {
            return BAD_VERSION;
        }
        return base(b, offset) != expectedBase ? BAD_BASE : VALID;
    }

    static String describe(int code) {
        return switch (code) {
            case VALID -> "valid";
            case TRUNCATED -> "shorter than a header";
            case BAD_MAGIC -> "wrong magic (no header: a file of an earlier version, or another file)";
            case BAD_VERSION -> "unknown format version";
            case BAD_CRC -> "header crc32c mismatch";
            case BAD_BASE -> "header names another segment";
            default -> "unknown code " + code;
        };
    }
}
