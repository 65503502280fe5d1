package io.strand.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of a checkpoint file (the log's {@code checkpoint}, the {@code clean-shutdown} marker and
 * {@code index/checkpoint}); the only class that does offset arithmetic on it. Little-endian,
 * through byte-buffer VarHandles (a buffer's {@code order()} is never relied on), 28 bytes:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  magic (int32: "SCKP", "SCLN" or "SIDX" as little-endian)     |  0
 *  +---------------------------------------------------------------+
 *  |  version (int32, 1)                                           |  4
 *  +---------------------------------------------------------------+
 *  |  position (int64): the log position the file records          |  8
 *  +---------------------------------------------------------------+
 *  |  written at (int64): epoch millis, for operators              | 16
 *  +---------------------------------------------------------------+
 *  |  crc32c (int32) over bytes [0, 24)                            | 24
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class CheckpointDescriptor {
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int MAGIC_LENGTH = 4;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    public static final int VERSION_LENGTH = 4;
    public static final int POSITION_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    public static final int POSITION_LENGTH = 8;
    public static final int WRITTEN_AT_OFFSET = POSITION_OFFSET + POSITION_LENGTH;
    public static final int WRITTEN_AT_LENGTH = 8;
    public static final int CRC_OFFSET = WRITTEN_AT_OFFSET + WRITTEN_AT_LENGTH;
    public static final int CRC_LENGTH = 4;
    public static final int LENGTH = CRC_OFFSET + CRC_LENGTH; // 28

    /** {@link #check} results: valid, or why not. */
    public static final int VALID = 0;
    public static final int BAD_SIZE = -1;
    public static final int BAD_MAGIC = -2;
    public static final int BAD_VERSION = -3;
    public static final int BAD_CRC = -4;
    public static final int BAD_POSITION = -5;

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ORDER);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ORDER);

    private CheckpointDescriptor() {
    }

    public static int magic(ByteBuffer b, int offset) {
        return (int) INT.get(b, offset + MAGIC_OFFSET);
    }

    public static int version(ByteBuffer b, int offset) {
        return (int) INT.get(b, offset + VERSION_OFFSET);
    }

    public static long position(ByteBuffer b, int offset) {
        return (long) LONG.get(b, offset + POSITION_OFFSET);
    }

    public static long writtenAt(ByteBuffer b, int offset) {
        return (long) LONG.get(b, offset + WRITTEN_AT_OFFSET);
    }

    public static int crc(ByteBuffer b, int offset) {
        return (int) INT.get(b, offset + CRC_OFFSET);
    }

    /** CRC-32C of bytes {@code [offset, offset + 24)} of a heap buffer. */
    public static int computeCrc(ByteBuffer b, int offset, CRC32C crc) {
        crc.reset();
        crc.update(b.array(), b.arrayOffset() + offset, CRC_OFFSET);
        return (int) crc.getValue();
    }

    /** Writes a whole checkpoint (CRC included) at {@code offset} of a heap buffer. */
    public static void encode(ByteBuffer b, int offset, CRC32C crc, int magic, long position, long writtenAtMillis) {
        INT.set(b, offset + MAGIC_OFFSET, magic);
        INT.set(b, offset + VERSION_OFFSET, VERSION);
        LONG.set(b, offset + POSITION_OFFSET, position);
        LONG.set(b, offset + WRITTEN_AT_OFFSET, writtenAtMillis);
        INT.set(b, offset + CRC_OFFSET, computeCrc(b, offset, crc));
    }

    /**
     * Validates {@code length} bytes at {@code offset} of a heap buffer as a checkpoint with
     * {@code expectedMagic}: {@link #VALID}, or a negative code ({@link #describe}).
     */
    public static int check(ByteBuffer b, int offset, int length, int expectedMagic, CRC32C crc) {
        if (length != LENGTH) {
            return BAD_SIZE;
        }
        if (magic(b, offset) != expectedMagic) {
            return BAD_MAGIC;
        }
        if (version(b, offset) != VERSION) {
            return BAD_VERSION;
        }
        if (crc(b, offset) != computeCrc(b, offset, crc)) {
            return BAD_CRC;
        }
        return position(b, offset) < 0 ? BAD_POSITION : VALID;
    }

    public static String describe(int code) {
        return switch (code) {
            case VALID -> "valid";
            case BAD_SIZE -> "wrong size";
            case BAD_MAGIC -> "wrong magic";
            case BAD_VERSION -> "unknown version";
            case BAD_CRC -> "crc32c mismatch";
            case BAD_POSITION -> "negative position";
            default -> "unknown code " + code;
        };
    }
}
