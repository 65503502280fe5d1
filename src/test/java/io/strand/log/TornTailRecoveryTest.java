package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damages the tail of a real log file the way a crash or a bad disk would, then reopens: recovery
 * must truncate at the right record, serve nothing after it, and let appends continue there.
 */
class TornTailRecoveryTest {
    private static final int RECORDS = 40;

    /** Writes records 0..RECORDS-1 (one per batch) and "crashes": the clean marker is removed. */
    private static List<AppendResult> writeAndCrash(Path dir) throws Exception {
        List<AppendResult> results = new ArrayList<>();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            for (int i = 0; i < RECORDS; i++) {
                results.add(log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture().get());
            }
        }
        Checkpoint.cleanShutdownMarker(dir).delete();
        Checkpoint.checkpoint(dir).delete(); // scan everything, as after a crash before the first checkpoint
        return results;
    }

    private static void damage(Path dir, long position, byte[] bytes) throws IOException {
        int segmentSize = 64 * 1024;
        long base = position - position % segmentSize;
        try (FileChannel ch = FileChannel.open(dir.resolve("commitlog").resolve(Segment.fileName(base)),
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), position - base);
        }
    }

    /** Reopens, checks that exactly {@code expected} records survive, and that appends continue at the tail. */
    private static void assertRecoveredTo(Path dir, List<AppendResult> results, int expected) throws Exception {
        long tail = expected == 0 ? 0 : results.get(expected - 1).endPosition();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            assertFalse(log.recoveredCleanly());
            assertEquals(tail, log.committedPosition(), "recovery truncates at the first damaged record");
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
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            assertTrue(log.recoveredCleanly());
            assertEquals(tail + TestRecords.record(1000).framedLength(), log.committedPosition());
        }
    }

    @Test
    void shouldTruncateARecordCutOffMidway(@TempDir Path dir) throws Exception {
        List<AppendResult> r = writeAndCrash(dir);
        AppendResult last = r.get(RECORDS - 1);
        // The last record's second half never reached the file: zeros from its middle on.
        int half = (int) (last.endPosition() - last.position()) / 2;
        damage(dir, last.position() + half, new byte[half]);
        assertRecoveredTo(dir, r, RECORDS - 1);
    }

    @Test
    void shouldTruncateAtARecordWithAFlippedByte(@TempDir Path dir) throws Exception {
        List<AppendResult> r = writeAndCrash(dir);
        AppendResult victim = r.get(RECORDS - 3);
        long at = victim.position() + RecordDescriptor.HEADER_LENGTH + 3;
        byte[] one = new byte[1];
        try (FileChannel ch = FileChannel.open(dir.resolve("commitlog").resolve(Segment.fileName(at - at % (64 * 1024))))) {
            ch.read(ByteBuffer.wrap(one), at % (64 * 1024));
        }
        one[0] ^= 0x10;
        damage(dir, at, one);
        // The flipped record and the two valid ones after it are gone: nothing past a bad record is trusted.
        assertRecoveredTo(dir, r, RECORDS - 3);
    }

    @Test
    void shouldTruncateJunkWrittenAfterTheLastRecord(@TempDir Path dir) throws Exception {
        List<AppendResult> r = writeAndCrash(dir);
        byte[] junk = new byte[3000];
        new java.util.Random(7).nextBytes(junk);
        damage(dir, r.get(RECORDS - 1).endPosition(), junk);
        assertRecoveredTo(dir, r, RECORDS);
    }

    @Test
    void shouldTruncateJunkThatLooksLikeAHeader(@TempDir Path dir) throws Exception {
        List<AppendResult> r = writeAndCrash(dir);
        // A plausible header (right magic, length) whose CRC does not match.
        ByteBuffer fake = ByteBuffer.allocate(200).order(RecordDescriptor.ORDER);
        fake.putInt(0, 200).putShort(4, RecordDescriptor.MAGIC).put(6, RecordDescriptor.VERSION);
        fake.putShort(RecordDescriptor.STREAM_LENGTH_OFFSET, (short) (200 - RecordDescriptor.HEADER_LENGTH));
        damage(dir, r.get(RECORDS - 1).endPosition(), fake.array());
        assertRecoveredTo(dir, r, RECORDS);
    }

    @Test
    void shouldDropAPartiallyWrittenBatch(@TempDir Path dir) throws Exception {
        List<AppendResult> r = new ArrayList<>();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            r.add(log.append(new EventRecord[] {TestRecords.record(0)}, 1, 0).toCompletableFuture().get());
            EventRecord[] batch = {TestRecords.record(1), TestRecords.record(2), TestRecords.record(3)};
            r.add(log.append(batch, 3, 1).toCompletableFuture().get());
        }
        Checkpoint.cleanShutdownMarker(dir).delete();
        Checkpoint.checkpoint(dir).delete();
        // The batch's last record is torn: its first two records are valid but must not survive alone.
        long lastRecord = r.get(1).endPosition() - TestRecords.record(3).framedLength();
        damage(dir, lastRecord + 8, new byte[16]);
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            assertEquals(r.get(0).endPosition(), log.committedPosition(), "an atomic batch is all or nothing");
        }
    }
}
