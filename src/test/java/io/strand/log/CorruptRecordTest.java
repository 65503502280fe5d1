package io.strand.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flips single bytes in a real segment file (through a separate channel: the log's mapping sees the
 * changed page) and reads through the log: {@code readRecord} and verifying cursors refuse the
 * damaged record with {@link CorruptRecordException} naming its position and what failed, read
 * its neighbours, count each position once and log one line per position.
 */
class CorruptRecordTest {
    private static final int RECORDS = 30;

    @TempDir
    Path dir;
    private CommitLog log;
    private final List<AppendResult> results = new ArrayList<>();
    private final List<String> logLines = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public synchronized void publish(LogRecord r) {
            logLines.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void write() throws Exception {
        Logger.getLogger(CorruptRecords.class.getName()).addHandler(capture);
        log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC));
        for (int i = 0; i < RECORDS; i++) {
            results.add(log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture().get());
        }
    }

    @AfterEach
    void close() throws IOException {
        Logger.getLogger(CorruptRecords.class.getName()).removeHandler(capture);
        log.close();
    }

    private long position(int i) {
        return results.get(i).position();
    }

    /** Offset in record {@code i} of its metadata. */
    private static int metadataOffset(int i) {
        EventRecord r = TestRecords.record(i);
        return RecordDescriptor.HEADER_LENGTH + r.stream().length + r.type().length;
    }

    /** Offset in record {@code i} of its data. */
    private static int dataOffset(int i) {
        return metadataOffset(i) + TestRecords.record(i).metadata().length;
    }

    /** A record index from {@code from} on whose data and metadata are not empty. */
    private static int withDataAndMetadata(int from) {
        for (int i = from; ; i++) {
            EventRecord r = TestRecords.record(i);
            if (r.data().length > 2 && r.metadata().length > 2) {
                return i;
            }
        }
    }

    private void flip(long position) throws IOException {
        SegmentFiles.flip(dir, log.config().segmentSize(), position, 0x10);
    }

    @Test
    void shouldReadIntactRecordsWithoutComplaint() {
        for (int i = 0; i < RECORDS; i++) {
            try (LogSlice s = log.readRecord(position(i))) {
                assertEquals(TestRecords.record(i).recordLength(), s.length());
                assertEquals(0, s.buffer().position(), "the slice is handed out positioned at 0 after its check");
            }
        }
        try (LogCursor c = log.cursor(0)) {
            for (int i = 0; i < RECORDS; i++) {
                assertTrue(c.next());
                TestRecords.assertRecord(c, i, i);
            }
            assertFalse(c.next());
        }
        assertEquals(0, log.integrity().corruptRecords());
        assertTrue(logLines.isEmpty(), logLines.toString());
    }

    @Test
    void shouldRefuseAFlippedByteInDataHeaderOrMetadataAndServeTheNeighbours() throws Exception {
        int inData = withDataAndMetadata(3);
        int inHeader = inData + 3;
        int inMetadata = withDataAndMetadata(inHeader + 3);
        flip(position(inData) + dataOffset(inData) + 1);
        flip(position(inHeader) + RecordDescriptor.TIMESTAMP_OFFSET + 2);
        flip(position(inMetadata) + metadataOffset(inMetadata) + 1);
        List<Integer> damaged = List.of(inData, inHeader, inMetadata);

        for (int i = 0; i < RECORDS; i++) {
            long p = position(i);
            if (damaged.contains(i)) {
                CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> log.readRecord(p).close());
                assertEquals(p, e.position());
                assertEquals("bad-crc", e.reason());
                assertTrue(e.framingIntact());
                assertTrue(e.getMessage().contains("segment=" + Segment.fileName(0)), e.getMessage());
            } else {
                try (LogSlice s = log.readRecord(p)) {
                    assertEquals(TestRecords.record(i).recordLength(), s.length(), "neighbour " + i + " still reads");
                }
            }
        }
        try (LogCursor c = log.cursor(0)) {
            for (int i = 0; i < RECORDS; i++) {
                if (damaged.contains(i)) {
                    CorruptRecordException e = assertThrows(CorruptRecordException.class, c::next);
                    assertEquals(position(i), e.position());
                    assertEquals(position(i), c.position(), "the cursor stands on the damaged record");
                } else {
                    assertTrue(c.next());
                    TestRecords.assertRecord(c, i, i);
                }
            }
            assertFalse(c.next());
        }
        // Read twice (readRecord and the cursor), counted and logged once per position.
        assertEquals(3, log.integrity().corruptRecords());
        assertEquals(3, logLines.size(), logLines.toString());
        for (int i : damaged) {
            assertTrue(logLines.stream().anyMatch(l -> (l.startsWith("ERROR") || l.startsWith("SEVERE")) && l.contains("position=" + position(i) + ",")
                    && l.contains("found=bad-crc") && l.contains("segment=" + Segment.fileName(0))), logLines.toString());
        }
    }

    @Test
    void shouldStopTheCursorAtBrokenFraming() throws Exception {
        int broken = 12;
        flip(position(broken) + RecordDescriptor.DATA_LENGTH_OFFSET + 1); // the lengths no longer add up
        CorruptRecordException read = assertThrows(CorruptRecordException.class, () -> log.readRecord(position(broken)));
        assertEquals("bad-length", read.reason());
        assertFalse(read.framingIntact());
        try (LogCursor c = log.cursor(0)) {
            for (int i = 0; i < broken; i++) {
                assertTrue(c.next());
            }
            CorruptRecordException e = assertThrows(CorruptRecordException.class, c::next);
            assertEquals(position(broken), e.position());
            assertFalse(e.framingIntact());
            assertThrows(CorruptRecordException.class, c::next, "it cannot step over a record it cannot measure");
        }
        try (LogSlice s = log.readRecord(position(broken + 1))) {
            assertNotNull(s, "records after it are still read by position");
        }
        assertEquals(1, log.integrity().corruptRecords());
    }

    @Test
    void shouldFailARangeThatHoldsACorruptRecord() throws Exception {
        flip(position(5) + RecordDescriptor.TIMESTAMP_OFFSET);
        CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> log.range(0, 1 << 20));
        assertEquals(position(5), e.position());
        LogRange before = log.range(0, (int) (position(5) - position(0)));
        assertEquals(position(5), before.nextPosition(), "a range that ends before it is served");
    }

    @Test
    void shouldVerifySegmentBytesInPlace() throws Exception {
        flip(position(7) + RecordDescriptor.STREAM_VERSION_OFFSET);
        RecordVerifier v = log.integrity().verifier();
        try (LogSlice segment = log.readSegment(0)) {
            ByteBuffer b = segment.buffer();
            assertEquals(TestRecords.record(6).recordLength(), v.verify(b, 0, (int) position(6)));
            CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> v.verify(b, 0, (int) position(7)));
            assertEquals(position(7), e.position());
            assertEquals(TestRecords.record(8).recordLength(), v.verify(b, 0, (int) position(8)));
            assertEquals(0, b.position(), "the shared buffer is not moved");
        }
        assertEquals(1, log.integrity().corruptRecords());
    }
}
