package io.strand.log;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordDescriptorTest {
    private final CRC32C crc = new CRC32C();

    @Test
    void shouldChainOffsetsIntoA56ByteHeader() {
        assertEquals(56, RecordDescriptor.HEADER_LENGTH);
        assertEquals(8, RecordDescriptor.MARKER_LENGTH);
        assertEquals(0, RecordDescriptor.HEADER_LENGTH % RecordDescriptor.ALIGNMENT);
    }

    @Test
    void shouldEncodeLittleEndianFieldsThatReadBack() {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        EventRecord r = new EventRecord("orders-1".getBytes(StandardCharsets.UTF_8), "Created".getBytes(StandardCharsets.UTF_8),
                0x0102030405060708L, -2L, "{\"m\":1}".getBytes(StandardCharsets.UTF_8),
                "{\"a\":42}".getBytes(StandardCharsets.UTF_8), false);
        int framed = RecordDescriptor.encode(buf, buf.duplicate(), crc, 16, r, 7, 1234567L, RecordDescriptor.FLAG_BATCH_CONTINUES);
        assertEquals(RecordDescriptor.align(r.recordLength()), framed);
        assertEquals(0, framed % 8);
        assertEquals(r.recordLength(), RecordDescriptor.length(buf, 16));
        assertEquals(0x08, buf.get(16 + RecordDescriptor.ID_MSB_OFFSET), "least significant byte first");
        assertEquals(7, RecordDescriptor.streamVersion(buf, 16));
        assertEquals(1234567L, RecordDescriptor.timestamp(buf, 16));
        assertEquals(RecordDescriptor.FLAG_BATCH_CONTINUES, RecordDescriptor.flags(buf, 16));
        assertEquals(8, RecordDescriptor.streamLength(buf, 16));
        assertEquals(7, RecordDescriptor.typeLength(buf, 16));
        assertEquals("{\"a\":42}", StandardCharsets.UTF_8.decode(
                buf.slice(RecordDescriptor.dataOffset(buf, 16), RecordDescriptor.dataLength(buf, 16))).toString());
        assertEquals(framed, RecordDescriptor.check(buf, buf.duplicate(), crc, 16, 4096));
    }

    @Test
    void shouldDetectEveryKindOfDamage() {
        ByteBuffer buf = ByteBuffer.allocate(1024);
        EventRecord r = TestRecords.record(3);
        ByteBuffer big = ByteBuffer.allocate(4096);
        int framed = RecordDescriptor.encode(big, big.duplicate(), crc, 0, r, 3, 1, 0);
        assertEquals(RecordDescriptor.EMPTY, RecordDescriptor.check(buf, buf.duplicate(), crc, 0, 1024));
        for (int i = 0; i < RecordDescriptor.length(big, 0); i++) {
            if (i >= RecordDescriptor.CRC_OFFSET && i < RecordDescriptor.TIMESTAMP_OFFSET) {
                continue;
            }
            big.put(i, (byte) (big.get(i) ^ 1));
            assertTrue(RecordDescriptor.check(big, big.duplicate(), crc, 0, 4096) < 0, "a flipped bit at " + i + " is caught");
            big.put(i, (byte) (big.get(i) ^ 1));
        }
        assertEquals(framed, RecordDescriptor.check(big, big.duplicate(), crc, 0, 4096));
        assertEquals(RecordDescriptor.TRUNCATED, RecordDescriptor.check(big, big.duplicate(), crc, 0, framed - 8));
    }

    @Test
    void shouldAcceptAnEndOfSegmentMarkerOnlyWhenItClaimsTheRestExactly() {
        ByteBuffer buf = ByteBuffer.allocate(1024);
        RecordDescriptor.encodeEndOfSegment(buf, 1000, 24);
        assertEquals(24, RecordDescriptor.check(buf, buf.duplicate(), crc, 1000, 1024));
        assertEquals(RecordDescriptor.BAD_LENGTH, RecordDescriptor.check(buf, buf.duplicate(), crc, 1000, 1032));
    }

    @Test
    void shouldScanToTheEndOfTheLastCompleteBatch() {
        ByteBuffer seg = ByteBuffer.allocate(8192);
        int at = 0;
        at += RecordDescriptor.encode(seg, seg.duplicate(), crc, at, TestRecords.record(0), 0, 1, 0);
        int afterFirst = at;
        at += RecordDescriptor.encode(seg, seg.duplicate(), crc, at, TestRecords.record(1), 1, 1, RecordDescriptor.FLAG_BATCH_CONTINUES);
        TailScanner.Result r = new TailScanner().scan(seg, 0);
        assertEquals(afterFirst, r.validEnd(), "an unfinished batch is not part of the valid log");
        assertEquals(2, r.records());
        assertEquals(RecordDescriptor.EMPTY, r.stopCode());
    }
}
