package io.strand.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.strand.store.RawLog;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static io.strand.http.BinaryPageDescriptor.CHECK_BAD_COUNT;
import static io.strand.http.BinaryPageDescriptor.CHECK_BAD_PADDING;
import static io.strand.http.BinaryPageDescriptor.CHECK_BAD_RECORD_LENGTH;
import static io.strand.http.BinaryPageDescriptor.CHECK_TOO_SHORT;
import static io.strand.http.BinaryPageDescriptor.CHECK_TRAILING_BYTES;
import static io.strand.http.BinaryPageDescriptor.CHECK_TRUNCATED;
import static io.strand.http.BinaryPageDescriptor.OK;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The binary page's layout: offsets, byte order, framing, and the check codes. */
class BinaryPageDescriptorTest {
    private static final int MIN = 16;

    /** A page of records of the given lengths (contents 0x5A, zero padding) at {@code pageOffset} of a buffer. */
    private static ByteBuf page(int pageOffset, long basePosition, int... lengths) {
        ByteBuf b = Unpooled.buffer();
        b.writeZero(pageOffset);
        BinaryPageDescriptor.writeCount(b, lengths.length);
        long position = basePosition;
        for (int length : lengths) {
            BinaryPageDescriptor.writeEntry(b, length, position);
            position += BinaryPageDescriptor.framedLength(length);
        }
        for (int length : lengths) {
            for (int i = 0; i < length; i++) {
                b.writeByte(0x5A);
            }
            b.writeZero(BinaryPageDescriptor.framedLength(length) - length);
        }
        return b;
    }

    @Test
    void shouldChainItsOffsets() {
        assertEquals(0, BinaryPageDescriptor.COUNT_OFFSET);
        assertEquals(4, BinaryPageDescriptor.TABLE_OFFSET);
        assertEquals(4, BinaryPageDescriptor.ENTRY_POSITION_OFFSET);
        assertEquals(12, BinaryPageDescriptor.ENTRY_LENGTH);
        assertEquals(4, BinaryPageDescriptor.recordsOffset(0));
        assertEquals(4 + 12 * 3, BinaryPageDescriptor.recordsOffset(3));
        assertEquals(4 + 12 * 2, BinaryPageDescriptor.entryOffset(2));
    }

    @Test
    void shouldFrameRecordsAsTheLogDoes() {
        for (int n : new int[]{0, 1, 7, 8, 9, 56, 57, 63, 64, 65, 4095, 1 << 20}) {
            assertEquals(RawLog.framedLength(n), BinaryPageDescriptor.framedLength(n), "length " + n);
            assertEquals(0, BinaryPageDescriptor.framedLength(n) % 8);
        }
    }

    @Test
    void shouldWriteLittleEndianFieldsAtTheirOffsets() {
        ByteBuf b = page(0, 0x0102030405060708L, 17, 24);
        ByteBuffer le = ByteBuffer.wrap(b.array(), b.arrayOffset(), b.writerIndex()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2, le.getInt(0));
        assertEquals(17, le.getInt(4));
        assertEquals(0x0102030405060708L, le.getLong(8));
        assertEquals(24, le.getInt(16));
        assertEquals(0x0102030405060708L + 24, le.getLong(20));
        assertEquals(2, BinaryPageDescriptor.count(b, 0));
        assertEquals(24, BinaryPageDescriptor.recordLength(b, 0, 1));
        assertEquals(0x0102030405060708L + 24, BinaryPageDescriptor.position(b, 0, 1));
        assertEquals(BinaryPageDescriptor.recordsOffset(2) + 24 + 24, b.writerIndex());
    }

    @Test
    void shouldAcceptWellFramedPages() {
        assertEquals(OK, check(page(0, 0), 0));
        assertEquals(OK, check(page(0, 64, 17, 24, 100), 0));
        assertEquals(OK, check(page(5, 64, 17, 24, 100), 5), "at an offset");
    }

    @Test
    void shouldReportEachFramingFault() {
        assertEquals(CHECK_TOO_SHORT, BinaryPageDescriptor.check(Unpooled.buffer().writeZero(3), 0, 3, MIN));
        ByteBuf huge = page(0, 0, 17);
        huge.setIntLE(0, 1000);
        assertEquals(CHECK_BAD_COUNT, check(huge, 0));
        ByteBuf negative = page(0, 0, 17);
        negative.setIntLE(0, -1);
        assertEquals(CHECK_BAD_COUNT, check(negative, 0));
        ByteBuf tiny = page(0, 0, 17);
        tiny.setIntLE(BinaryPageDescriptor.entryOffset(0), MIN - 1);
        assertEquals(CHECK_BAD_RECORD_LENGTH, check(tiny, 0));
        ByteBuf truncated = page(0, 0, 17, 24);
        assertEquals(CHECK_TRUNCATED, BinaryPageDescriptor.check(truncated, 0, truncated.writerIndex() - 8, MIN));
        ByteBuf dirty = page(0, 0, 17);
        dirty.setByte(BinaryPageDescriptor.recordsOffset(1) + 17, 1);
        assertEquals(CHECK_BAD_PADDING, check(dirty, 0));
        ByteBuf trailing = page(0, 0, 17).writeZero(8);
        assertEquals(CHECK_TRAILING_BYTES, check(trailing, 0));
    }

    private static int check(ByteBuf page, int offset) {
        return BinaryPageDescriptor.check(page, offset, page.writerIndex() - offset, MIN);
    }
}
