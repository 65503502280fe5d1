package io.strand.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of one entry of an {@code index/entries/<segment>} file (after its
 * {@link IndexHeaderDescriptor header}); the only class that does offset arithmetic on entries.
 * Little-endian, through byte-buffer VarHandles, 40 bytes:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  position (int64): log position of the event's record        |  0
 *  +---------------------------------------------------------------+
 *  |  version (int64): stream version                              |  8
 *  +---------------------------------------------------------------+
 *  |  timestamp (int64): append time, epoch millis (dedup window)  | 16
 *  +---------------------------------------------------------------+
 *  |  dedup key (int64): DedupIndex.key(stream id, event id)       | 24
 *  +---------------------------------------------------------------+
 *  |  stream id (int32): index into index/streams                  | 32
 *  +---------------------------------------------------------------+
 *  |  crc32c (int32) over bytes [0, 36) of the entry               | 36
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class EntryDescriptor {
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    static final int POSITION_OFFSET = 0;
    static final int POSITION_LENGTH = 8;
    static final int VERSION_OFFSET = POSITION_OFFSET + POSITION_LENGTH;
    static final int VERSION_LENGTH = 8;
    static final int TIMESTAMP_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    static final int TIMESTAMP_LENGTH = 8;
    static final int KEY_OFFSET = TIMESTAMP_OFFSET + TIMESTAMP_LENGTH;
    static final int KEY_LENGTH = 8;
    static final int STREAM_ID_OFFSET = KEY_OFFSET + KEY_LENGTH;
    static final int STREAM_ID_LENGTH = 4;
    static final int CRC_OFFSET = STREAM_ID_OFFSET + STREAM_ID_LENGTH;
    static final int CRC_LENGTH = 4;
    static final int LENGTH = CRC_OFFSET + CRC_LENGTH; // 40

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ORDER);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ORDER);

    private EntryDescriptor() {
    }

    static long position(ByteBuffer b, int offset) {
        return (long) LONG.get(b, offset + POSITION_OFFSET);
    }

    static long version(ByteBuffer b, int offset) {
        return (long) LONG.get(b, offset + VERSION_OFFSET);
    }

    static long timestamp(ByteBuffer b, int offset) {
        return (long) LONG.get(b, offset + TIMESTAMP_OFFSET);
    }

    static long key(ByteBuffer b, int offset) {
        return (long) LONG.get(b, offset + KEY_OFFSET);
    }

    static int streamId(ByteBuffer b, int offset) {
        return (int) INT.get(b, offset + STREAM_ID_OFFSET);
    }

    static int crc(ByteBuffer b, int offset) {
        return (int) INT.get(b, offset + CRC_OFFSET);
    }

    /** CRC-32C of the entry's bytes {@code [offset, offset + 36)} in a heap buffer. */
    static int computeCrc(ByteBuffer b, int offset, CRC32C crc) {
        crc.reset();
        crc.update(b.array(), b.arrayOffset() + offset, CRC_OFFSET);
        return (int) crc.getValue();
    }

    /** Writes one entry (CRC included) at {@code offset} of a heap buffer. */
    static void encode(ByteBuffer b, int offset, CRC32C crc, long position, long version, long timestamp, long key,
                       int streamId) {
        LONG.set(b, offset + POSITION_OFFSET, position);
        LONG.set(b, offset + VERSION_OFFSET, version);
        LONG.set(b, offset + TIMESTAMP_OFFSET, timestamp);
        LONG.set(b, offset + KEY_OFFSET, key);
        INT.set(b, offset + STREAM_ID_OFFSET, streamId);
        INT.set(b, offset + CRC_OFFSET, computeCrc(b, offset, crc));
    }

    /** True when the {@code available} bytes at {@code offset} hold a whole entry whose CRC matches. */
    static boolean check(ByteBuffer b, int offset, int available, CRC32C crc) {
        return available >= LENGTH && crc(b, offset) == computeCrc(b, offset, crc);
    }
}
