package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damages the tail of a real log file the way a crash or a bad disk would, then reopens: recovery
 * must truncate at the right record, serve nothing after it, leave only zeros after it on disk, and
 * let appends continue there. Each case runs with the pool on and off, and with recovery scanning
 * from the start (no checkpoint) or from a checkpoint kept before the damage.
 */
class TornTailRecoveryTest {
    private static final int RECORDS = 40;
    private static final int SEGMENT_SIZE = 64 * 1024;
    /** With the checkpoint kept, it stands after this many records, before any damage. */
    private static final int CHECKPOINTED = 10;

    /** One staged crash: the records written and where the kept checkpoint stands (0 without one). */
    private record Crash(boolean pool, List<AppendResult> results, long checkpoint) {
    }

    /** Writes records 0..RECORDS-1 (one per batch) and "crashes": the clean marker is removed. */
    private static Crash writeAndCrash(Path dir, boolean pool, boolean keepCheckpoint) throws Exception {
        List<AppendResult> results = new ArrayList<>();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            for (int i = 0; i < RECORDS; i++) {
                results.add(log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture().get());
            }
        }
        Checkpoint.cleanShutdownMarker(dir).delete();
        long checkpoint = 0;
        if (keepCheckpoint) {
            // As the flush thread left it some time before the crash: recovery scans from here.
            checkpoint = results.get(CHECKPOINTED - 1).endPosition();
            Checkpoint.checkpoint(dir).write(checkpoint);
        } else {
            Checkpoint.checkpoint(dir).delete(); // scan everything, as after a crash before the first checkpoint
        }
        return new Crash(pool, results, checkpoint);
    }

    private static void damage(Path dir, long position, byte[] bytes) throws IOException {
        long base = position - position % SEGMENT_SIZE;
        try (FileChannel ch = FileChannel.open(segmentFile(dir, base), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), position - base);
        }
    }

    private static Path segmentFile(Path dir, long base) {
        return dir.resolve("commitlog").resolve(Segment.fileName(base));
    }

    /** Reopens, checks that exactly {@code expected} records survive, and that appends continue at the tail. */
    private static void assertRecoveredTo(Path dir, Crash crash, int expected) throws Exception {
        List<AppendResult> results = crash.results();
        long tail = expected == 0 ? 0 : results.get(expected - 1).endPosition();
        LogConfig config = TestRecords.smallConfig(dir, crash.pool(), FlushMode.ASYNC);
        try (CommitLog log = CommitLog.open(config)) {
            assertFalse(log.recoveredCleanly());
            assertEquals(tail, log.committedPosition(), "recovery truncates at the first damaged record");
            assertEquals(tail - crash.checkpoint(), log.recoveryScannedBytes(), "the scan starts at the checkpoint");
            assertZerosOnDiskFrom(dir, tail);
            try (LogCursor c = log.cursor(0)) {
                for (int i = 0; i < expected; i++) {
                    assertTrue(c.next());
                    TestRecords.assertRecord(c, i, i);
                }
                assertFalse(c.next(), "nothing after the tail is served");
            }
            AppendResult next = log.append(new EventRecord[] {TestRecords.record(1000)}, 1, expected)
                    .toCompletableFuture().get();
            assertEquals(tail, next.position(), "appends continue at the tail");
            try (LogCursor c = log.cursor(tail)) {
                assertTrue(c.next());
                TestRecords.assertRecord(c, 1000, expected);
                assertFalse(c.next());
            }
        }
        // And the repaired log reopens cleanly with the new record in place.
        try (CommitLog log = CommitLog.open(config)) {
            assertTrue(log.recoveredCleanly());
            assertEquals(tail + TestRecords.record(1000).framedLength(), log.committedPosition());
        }
    }

    /** Every byte of the tail's segment file from {@code tail} on is zero (read from the file, not the mapping). */
    private static void assertZerosOnDiskFrom(Path dir, long tail) throws IOException {
        long base = tail - tail % SEGMENT_SIZE;
        byte[] bytes = Files.readAllBytes(segmentFile(dir, base));
        for (int i = (int) (tail - base); i < bytes.length; i++) {
            if (bytes[i] != 0) {
                throw new AssertionError("non-zero byte after the tail: position=" + (base + i) + ", tail=" + tail);
            }
        }
    }

    @ParameterizedTest(name = "pool={0}, checkpoint={1}")
    @CsvSource({"true,false", "false,false", "true,true", "false,true"})
    void shouldTruncateARecordCutOffMidway(boolean pool, boolean checkpoint, @TempDir Path dir) throws Exception {
        Crash crash = writeAndCrash(dir, pool, checkpoint);
        AppendResult last = crash.results().get(RECORDS - 1);
        // The last record's second half never reached the file: zeros from its middle on.
        int half = (int) (last.endPosition() - last.position()) / 2;
        damage(dir, last.position() + half, new byte[half]);
        assertRecoveredTo(dir, crash, RECORDS - 1);
    }

    @ParameterizedTest(name = "pool={0}, checkpoint={1}")
    @CsvSource({"true,false", "false,false", "true,true", "false,true"})
    void shouldTruncateAtARecordWithAFlippedByte(boolean pool, boolean checkpoint, @TempDir Path dir) throws Exception {
        Crash crash = writeAndCrash(dir, pool, checkpoint);
        AppendResult victim = crash.results().get(RECORDS - 3);
        long at = victim.position() + RecordDescriptor.HEADER_LENGTH + 3;
        byte[] one = new byte[1];
        try (FileChannel ch = FileChannel.open(segmentFile(dir, at - at % SEGMENT_SIZE))) {
            ch.read(ByteBuffer.wrap(one), at % SEGMENT_SIZE);
        }
        one[0] ^= 0x10;
        damage(dir, at, one);
        // The flipped record and the two valid ones after it are gone: nothing past a bad record is trusted.
        assertRecoveredTo(dir, crash, RECORDS - 3);
    }

    @ParameterizedTest(name = "pool={0}, checkpoint={1}")
    @CsvSource({"true,false", "false,false", "true,true", "false,true"})
    void shouldTruncateJunkWrittenAfterTheLastRecord(boolean pool, boolean checkpoint, @TempDir Path dir) throws Exception {
        Crash crash = writeAndCrash(dir, pool, checkpoint);
        byte[] junk = new byte[3000];
        new java.util.Random(7).nextBytes(junk);
        damage(dir, crash.results().get(RECORDS - 1).endPosition(), junk);
        assertRecoveredTo(dir, crash, RECORDS);
    }

    @ParameterizedTest(name = "pool={0}, checkpoint={1}")
    @CsvSource({"true,false", "false,false", "true,true", "false,true"})
    void shouldTruncateJunkThatLooksLikeAHeader(boolean pool, boolean checkpoint, @TempDir Path dir) throws Exception {
        Crash crash = writeAndCrash(dir, pool, checkpoint);
        // A plausible header (right magic, length) whose CRC does not match.
        ByteBuffer fake = ByteBuffer.allocate(200).order(RecordDescriptor.ORDER);
        fake.putInt(0, 200).putShort(4, RecordDescriptor.MAGIC).put(6, RecordDescriptor.VERSION);
        fake.putShort(RecordDescriptor.STREAM_LENGTH_OFFSET, (short) (200 - RecordDescriptor.HEADER_LENGTH));
        damage(dir, crash.results().get(RECORDS - 1).endPosition(), fake.array());
        assertRecoveredTo(dir, crash, RECORDS);
    }

    @ParameterizedTest(name = "pool={0}")
    @CsvSource({"true", "false"})
    void shouldDropAPartiallyWrittenBatch(boolean pool, @TempDir Path dir) throws Exception {
        List<AppendResult> r = new ArrayList<>();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            r.add(log.append(new EventRecord[] {TestRecords.record(0)}, 1, 0).toCompletableFuture().get());
            EventRecord[] batch = {TestRecords.record(1), TestRecords.record(2), TestRecords.record(3)};
            r.add(log.append(batch, 3, 1).toCompletableFuture().get());
        }
        Checkpoint.cleanShutdownMarker(dir).delete();
        Checkpoint.checkpoint(dir).delete();
        // The batch's last record is torn: its first two records are valid but must not survive alone.
        long lastRecord = r.get(1).endPosition() - TestRecords.record(3).framedLength();
        damage(dir, lastRecord + 8, new byte[16]);
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            assertEquals(r.get(0).endPosition(), log.committedPosition(), "an atomic batch is all or nothing");
            assertZerosOnDiskFrom(dir, r.get(0).endPosition());
        }
    }

    /** A checkpoint (or clean marker) past 0 with no segment left means lost segments, not an empty log. */
    @Test
    void shouldRefuseToOpenWhenTheCheckpointOutlivedTheSegments(@TempDir Path dir) throws Exception {
        Crash crash = writeAndCrash(dir, true, true);
        try (var files = Files.list(dir.resolve("commitlog"))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        LogConfig config = TestRecords.smallConfig(dir, true, FlushMode.ASYNC);
        LogException refused = assertThrows(LogException.class, () -> CommitLog.open(config));
        assertTrue(refused.getMessage().contains("holds no segment"), refused.getMessage());
        assertTrue(Files.exists(Checkpoint.checkpoint(dir).file()), "nothing was changed");
        // The operator's way out: remove the markers, and an empty log starts.
        Checkpoint.checkpoint(dir).delete();
        try (CommitLog log = CommitLog.open(config)) {
            assertEquals(0, log.committedPosition());
        }
        assertTrue(crash.checkpoint() > 0);
    }
}
