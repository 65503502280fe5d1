package io.strand.log;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordDescriptorTest {
    private final CRC32C crc = new CRC32C();

    @Test
    void shouldChainOffsetsIntoA64ByteHeaderWithTheRaftIndexAfterTheDataLength() {
        assertEquals(2, RecordDescriptor.VERSION);
        assertEquals(56, RecordDescriptor.RAFT_INDEX_OFFSET);
        assertEquals(64, RecordDescriptor.HEADER_LENGTH);
        assertEquals(RecordDescriptor.HEADER_LENGTH, RecordDescriptor.BODY_OFFSET);
        assertEquals(8, RecordDescriptor.MARKER_LENGTH);
        assertEquals(0, RecordDescriptor.HEADER_LENGTH % RecordDescriptor.ALIGNMENT);
    }

    @Test
    void shouldEncodeLittleEndianFieldsThatReadBack() {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        EventRecord r = new EventRecord("orders-1".getBytes(StandardCharsets.UTF_8), "Created".getBytes(StandardCharsets.UTF_8),
                0x0102030405060708L, -2L, "{\"m\":1}".getBytes(StandardCharsets.UTF_8),
                "{\"a\":42}".getBytes(StandardCharsets.UTF_8), false);
        int framed = RecordDescriptor.encode(buf, buf.duplicate(), crc, 16, r, 7, 1234567L, 0x0A0B0C0D0E0F1011L,
                RecordDescriptor.FLAG_BATCH_CONTINUES);
        assertEquals(RecordDescriptor.align(r.recordLength()), framed);
        assertEquals(0, framed % 8);
        assertEquals(r.recordLength(), RecordDescriptor.length(buf, 16));
        assertEquals(0x08, buf.get(16 + RecordDescriptor.ID_MSB_OFFSET), "least significant byte first");
        assertEquals(7, RecordDescriptor.streamVersion(buf, 16));
        assertEquals(1234567L, RecordDescriptor.timestamp(buf, 16));
        assertEquals(0x0A0B0C0D0E0F1011L, RecordDescriptor.raftIndex(buf, 16));
        assertEquals(0x11, buf.get(16 + 56), "the raft index at offset 56, least significant byte first");
        assertEquals(2, RecordDescriptor.version(buf, 16));
        assertEquals("orders-1", StandardCharsets.UTF_8.decode(buf.slice(16 + 64, 8)).toString(), "the stream name at 64");
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
        int framed = RecordDescriptor.encode(big, big.duplicate(), crc, 0, r, 3, 1, 99, 0);
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
    void shouldEncodeRaftIndexZeroThroughTheOverloadWithoutOne() {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        buf.put(RecordDescriptor.RAFT_INDEX_OFFSET, (byte) 0x7F); // stale byte: the encoder must overwrite it
        RecordDescriptor.encode(buf, buf.duplicate(), crc, 0, TestRecords.record(1), 1, 5, 0);
        assertEquals(0, RecordDescriptor.raftIndex(buf, 0));
    }

    @Test
    void shouldTellAWholeRecordOfFormat1FromDamage() {
        ByteBuffer buf = ByteBuffer.allocate(1024);
        int length = writeFormat1Record(buf, 0, "s", "T", new byte[] {1, 2, 3});
        assertEquals(RecordDescriptor.BAD_VERSION, RecordDescriptor.check(buf, buf.duplicate(), crc, 0, 1024));
        assertTrue(RecordDescriptor.isRecordOfAnotherFormat(buf, buf.duplicate(), crc, 0, 1024));
        buf.put(length - 1, (byte) (buf.get(length - 1) ^ 1));
        assertFalse(RecordDescriptor.isRecordOfAnotherFormat(buf, buf.duplicate(), crc, 0, 1024), "a flipped bit is damage");
        buf.put(length - 1, (byte) (buf.get(length - 1) ^ 1));
        assertFalse(RecordDescriptor.isRecordOfAnotherFormat(buf, buf.duplicate(), crc, 0, length - 1), "a cut record is damage");

        ByteBuffer current = ByteBuffer.allocate(4096);
        int framed = RecordDescriptor.encode(current, current.duplicate(), crc, 0, TestRecords.record(2), 0, 1, 0);
        assertFalse(RecordDescriptor.isRecordOfAnotherFormat(current, current.duplicate(), crc, 0, 4096), "format 2 is this format");
        current.put(RecordDescriptor.VERSION_OFFSET, (byte) 3);
        assertEquals(RecordDescriptor.BAD_VERSION, RecordDescriptor.check(current, current.duplicate(), crc, 0, 4096));
        assertFalse(RecordDescriptor.isRecordOfAnotherFormat(current, current.duplicate(), crc, 0, framed),
                "a version byte changed after the CRC was taken is damage");
    }

    /**
     * A record as Strand wrote it before format 2, by hand: the 56-byte header without the raft
     * index (stream name at 56), version 1, CRC-32C over [0, 8) and [12, length). Returns its length.
     */
    static int writeFormat1Record(ByteBuffer buf, int at, String stream, String type, byte[] data) {
        ByteBuffer b = buf.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        byte[] s = stream.getBytes(StandardCharsets.UTF_8);
        byte[] t = type.getBytes(StandardCharsets.UTF_8);
        int length = 56 + s.length + t.length + data.length;
        b.putInt(at, length).putShort(at + 4, (short) 0x5354).put(at + 6, (byte) 1).put(at + 7, (byte) 1);
        b.putLong(at + 12, 1_700_000_000_000L).putLong(at + 20, 0).putLong(at + 28, 42).putLong(at + 36, 43);
        b.putShort(at + 44, (short) s.length).putShort(at + 46, (short) t.length).putInt(at + 48, 0).putInt(at + 52, data.length);
        b.put(at + 56, s).put(at + 56 + s.length, t).put(at + 56 + s.length + t.length, data);
        CRC32C c = new CRC32C();
        c.update(b.duplicate().limit(at + 8).position(at));
        c.update(b.duplicate().limit(at + length).position(at + 12));
        b.putInt(at + 8, (int) c.getValue());
        return length;
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
        assertEquals(0, r.lastBatchOffset(), "the last complete batch starts at 0");
        TailScanner.Result upToFirst = new TailScanner().scan(seg, 0, afterFirst, null);
        assertEquals(afterFirst, upToFirst.validEnd());
        assertEquals(1, upToFirst.records(), "nothing read at or past the limit");
    }
}
