package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A log written in record format 1 (before the raft index) is refused at open with a message naming
 * the format, and left exactly as it was: recovery must not mistake it for a torn tail and truncate it.
 */
class FormatVersionTest {
    private static final int SEGMENT_SIZE = 64 * 1024;

    private static Path segmentFile(Path dir, long base) {
        return dir.resolve("commitlog").resolve(Segment.fileName(base));
    }

    /** One segment holding two format-1 records, as an older Strand left it. Returns the tail. */
    private static long writeFormat1Log(Path dir) throws Exception {
        ByteBuffer segment = ByteBuffer.allocate(SEGMENT_SIZE);
        int first = RecordDescriptorTest.writeFormat1Record(segment, 0, "orders-1", "Created", new byte[] {1, 2, 3});
        int second = RecordDescriptorTest.writeFormat1Record(segment, RecordDescriptor.align(first), "orders-1", "Paid",
                new byte[] {4});
        Files.createDirectories(dir.resolve("commitlog"));
        Files.write(segmentFile(dir, 0), segment.array());
        return RecordDescriptor.align(first) + RecordDescriptor.align(second);
    }

    @ParameterizedTest(name = "cleanShutdown={0}")
    @ValueSource(booleans = {true, false})
    void shouldRefuseALogOfFormat1AndChangeNothing(boolean cleanShutdown, @TempDir Path dir) throws Exception {
        long tail = writeFormat1Log(dir);
        if (cleanShutdown) {
            Checkpoint.cleanShutdownMarker(dir).write(tail);
            Checkpoint.checkpoint(dir).write(tail);
        }
        byte[] before = Files.readAllBytes(segmentFile(dir, 0));

        LogException e = assertThrows(LogException.class,
                () -> CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC)).close());

        assertTrue(e.getMessage().contains("record format 1 at position=0 was written by an older Strand"), e.getMessage());
        assertTrue(e.getMessage().contains("this version reads format 2"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(segmentFile(dir, 0)), "not truncated, not zeroed");
        assertEquals(cleanShutdown, Files.exists(Checkpoint.cleanShutdownMarker(dir).file()), "the marker is not consumed");
    }

    @Test
    void shouldRefuseFormat1RecordsTheCrashScanMeetsAfterFormat2Ones(@TempDir Path dir) throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, false, FlushMode.ASYNC);
        long tail;
        try (CommitLog log = CommitLog.open(config)) {
            tail = log.append(new EventRecord[] {TestRecords.record(0)}, 1, 0).toCompletableFuture().get().endPosition();
        }
        // An older Strand appended after it (a downgrade), then crashed.
        ByteBuffer record = ByteBuffer.allocate(256);
        int length = RecordDescriptorTest.writeFormat1Record(record, 0, "orders-1", "Old", new byte[] {9});
        try (var ch = java.nio.channels.FileChannel.open(segmentFile(dir, 0), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(record.limit(length), tail);
        }
        Checkpoint.cleanShutdownMarker(dir).delete();
        byte[] before = Files.readAllBytes(segmentFile(dir, 0));

        LogException e = assertThrows(LogException.class, () -> CommitLog.open(config).close());

        assertTrue(e.getMessage().contains("record format 1 at position=" + tail + " was written by an older Strand"),
                e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(segmentFile(dir, 0)), "the format-1 record was not truncated");
    }
}
