package io.strand.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of one name of {@code index/streams} (after its {@link IndexHeaderDescriptor header});
 * the i-th name is stream id i. The only class that does offset arithmetic on it. Little-endian,
 * through byte-buffer VarHandles, {@code 6 + length} bytes, not aligned:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |  length (uint16, 1..65535)    |  name (UTF-8, length bytes) ...
 *  +-------------------------------+-------------------------------+
 *  ...                             |  crc32c (int32) over length and name
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class CatalogDescriptor {
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final int MAX_NAME_LENGTH = 0xFFFF;

    static final int NAME_LENGTH_OFFSET = 0;
    static final int NAME_LENGTH_LENGTH = 2;
    static final int NAME_OFFSET = NAME_LENGTH_OFFSET + NAME_LENGTH_LENGTH;
    /** Follows the name: at {@code NAME_OFFSET + length}. */
    static final int CRC_LENGTH = 4;
    /** Bytes of an entry besides its name. */
    static final int OVERHEAD = NAME_OFFSET + CRC_LENGTH;
    static final int MAX_LENGTH = OVERHEAD + MAX_NAME_LENGTH;

    /** {@link #check} results when not a whole, valid entry (a valid one gives its length, > 0). */
    static final int TRUNCATED = -1;
    static final int BAD_LENGTH = -2;
    static final int BAD_CRC = -3;

    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ORDER);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ORDER);

    private CatalogDescriptor() {
    }

    static int nameLength(ByteBuffer b, int offset) {
        return Short.toUnsignedInt((short) SHORT.get(b, offset + NAME_LENGTH_OFFSET));
    }

    static int nameOffset(int offset) {
        return offset + NAME_OFFSET;
    }

    static int crcOffset(int offset, int nameLength) {
        return offset + NAME_OFFSET + nameLength;
    }

    /** Bytes of the entry for a name of {@code nameLength} bytes. */
    static int entryLength(int nameLength) {
        return OVERHEAD + nameLength;
    }

    static int crc(ByteBuffer b, int offset) {
        return (int) INT.get(b, crcOffset(offset, nameLength(b, offset)));
    }

    /** Copies the name out of the entry at {@code offset}. */
    static byte[] name(ByteBuffer b, int offset) {
        byte[] name = new byte[nameLength(b, offset)];
        b.get(nameOffset(offset), name);
        return name;
    }

    /** CRC-32C of the length and the name of the entry at {@code offset} in a heap buffer. */
    static int computeCrc(ByteBuffer b, int offset, int nameLength, CRC32C crc) {
        crc.reset();
        crc.update(b.array(), b.arrayOffset() + offset, NAME_OFFSET + nameLength);
        return (int) crc.getValue();
    }

    /** Writes the entry for {@code name} at {@code offset} of a heap buffer; returns its length. */
    static int encode(ByteBuffer b, int offset, CRC32C crc, byte[] name) {
        if (name.length < 1 || name.length > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("stream name length out of range: length=" + name.length);
        }
        SHORT.set(b, offset + NAME_LENGTH_OFFSET, (short) name.length);
        b.put(nameOffset(offset), name);
        INT.set(b, crcOffset(offset, name.length), computeCrc(b, offset, name.length, crc));
        return entryLength(name.length);
    }

    /**
     * Validates the entry at {@code offset}, of which {@code available} bytes are in the buffer:
     * its length (> 0) when whole and valid, else {@link #TRUNCATED} (more bytes needed),
     * {@link #BAD_LENGTH} or {@link #BAD_CRC}.
     */
    static int check(ByteBuffer b, int offset, int available, CRC32C crc) {
        if (available < NAME_OFFSET) {
            return TRUNCATED;
        }
        int nameLength = nameLength(b, offset);
        if (nameLength == 0) {
            return BAD_LENGTH;
        }
        if (available < entryLength(nameLength)) {
            return TRUNCATED;
        }
        return crc(b, offset) == computeCrc(b, offset, nameLength, crc) ? entryLength(nameLength) : BAD_CRC;
    }
}
