package io.strand.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sync mode with the pool: the commit thread writes zeros a chunk ahead of the records (written
 * extents, cheaper fdatasyncs). Those zeros must never land on committed bytes — across chunk
 * boundaries inside a segment, segment rolls, and a reopen that resumes in the middle of a
 * segment — and what lies past the tail must still read as zeros.
 */
class ZeroAheadTest {
    private static final int SEGMENT = 4 * CommitService.ZERO_CHUNK_BYTES;

    private static LogConfig config(Path dir) {
        return LogConfig.defaults(dir)
                .withSegmentSize(SEGMENT)
                .withPool(true, 4, 256 * 1024)
                .withFlush(FlushMode.SYNC, Duration.ofMillis(20));
    }

    @Test
    void zerosAheadNeverOverwriteRecordsAcrossChunksRollsAndAReopen(@TempDir Path dir) throws Exception {
        List<AppendResult> results = new ArrayList<>();
        // ~3 segments' worth: many zero chunks, rolls, and a reopen between the two halves.
        int half = 5000;
        try (CommitLog log = CommitLog.open(config(dir))) {
            append(log, 0, half, results);
        }
        try (CommitLog log = CommitLog.open(config(dir))) {
            assertTrue(log.recoveredCleanly());
            append(log, half, 2 * half, results);
            assertTrue(log.segmentCount() >= 3, "should have rolled: " + log.segmentCount());
            verify(log, results);
        }
        long tail = results.get(results.size() - 1).endPosition();
        Path last = dir.resolve("commitlog").resolve(String.format("%020d", tail - tail % SEGMENT));
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.READ)) {
            ByteBuffer rest = ByteBuffer.allocate((int) (SEGMENT - tail % SEGMENT));
            ch.read(rest, tail % SEGMENT);
            rest.flip();
            while (rest.hasRemaining()) {
                assertEquals(0, rest.get(), "past the tail the segment reads as zeros");
            }
        }
        try (CommitLog log = CommitLog.open(config(dir))) {
            verify(log, results);
        }
        assertTrue(Files.exists(dir.resolve("clean-shutdown")));
    }

    private static void append(CommitLog log, int from, int to, List<AppendResult> results) throws Exception {
        List<CompletableFuture<AppendResult>> pending = new ArrayList<>();
        for (int i = from; i < to; i++) {
            pending.add(CommitLogRoundTripTest.appendRetrying(log, new EventRecord[] {TestRecords.record(i)}, i));
            if (pending.size() == 32 || i == to - 1) {
                for (CompletableFuture<AppendResult> f : pending) {
                    results.add(f.get(10, TimeUnit.SECONDS));
                }
                pending.clear();
            }
        }
    }

    private static void verify(CommitLog log, List<AppendResult> results) {
        try (LogCursor c = log.cursor(0)) {
            for (int i = 0; i < results.size(); i++) {
                assertTrue(c.next(), "record " + i + " should be readable");
                assertEquals(results.get(i).position(), c.position());
                TestRecords.assertRecord(c, i, i);
            }
            assertFalse(c.next(), "nothing after the last record");
        }
    }
}
