package io.strand.log;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Appends as a replicated apply makes them (a caller-given timestamp and raft index), on real files:
 * both come back from every record of the batch, through a reopen; timestamps never decrease; and
 * {@link CommitLog#lastRaftIndex()} and {@link CommitLog#lastTimestamp()} are found again at open,
 * after a clean close whatever the checkpoint says, and after a crash whose torn tail was truncated.
 */
class ReplicatedAppendTest {
    private static final long T0 = 1_700_000_000_000L;

    private static AppendResult append(CommitLog log, long version, int count, long timestampMillis, long raftIndex)
            throws Exception {
        EventRecord[] batch = new EventRecord[count];
        for (int j = 0; j < count; j++) {
            batch[j] = TestRecords.record(version + j);
        }
        return log.append(batch, count, version, Durability.COMMITTED, timestampMillis, raftIndex, Placement.NONE)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** {timestamp, raft index} of every record of the log, in order. */
    private static List<long[]> headers(CommitLog log) {
        List<long[]> headers = new ArrayList<>();
        try (LogCursor c = log.cursor(log.firstPosition())) {
            while (c.next()) {
                headers.add(new long[] {RecordDescriptor.timestamp(c.buffer(), c.offset()),
                        RecordDescriptor.raftIndex(c.buffer(), c.offset())});
            }
        }
        return headers;
    }

    private static void assertHeaders(List<long[]> expected, List<long[]> actual) {
        assertEquals(expected.size(), actual.size(), "records");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i)[0], actual.get(i)[0], "timestamp of record " + i);
            assertEquals(expected.get(i)[1], actual.get(i)[1], "raft index of record " + i);
        }
    }

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldCarryTheGivenTimestampAndRaftIndexInEveryRecordOfTheBatchThroughAReopen(boolean pool, @TempDir Path dir)
            throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, pool, FlushMode.ASYNC);
        List<long[]> expected = List.of(new long[] {T0, 41}, new long[] {T0, 41}, new long[] {T0, 41},
                new long[] {T0 + 500, 42}, new long[] {T0 + 500, 42});
        try (CommitLog log = CommitLog.open(config)) {
            assertEquals(0, log.lastRaftIndex(), "an empty log");
            assertEquals(0, log.lastTimestamp());
            append(log, 0, 3, T0, 41);
            append(log, 3, 2, T0 + 500, 42);
            assertHeaders(expected, headers(log));
            assertEquals(42, log.lastRaftIndex());
            assertEquals(T0 + 500, log.lastTimestamp());
        }
        try (CommitLog log = CommitLog.open(config)) {
            assertTrue(log.recoveredCleanly());
            assertHeaders(expected, headers(log));
            assertEquals(42, log.lastRaftIndex(), "found again at open");
            assertEquals(T0 + 500, log.lastTimestamp());
            AppendResult plain = log.append(new EventRecord[] {TestRecords.record(5)}, 1, 5).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            try (LogSlice s = log.readRecord(plain.position())) {
                assertEquals(0, RecordDescriptor.raftIndex(s.buffer(), 0), "the overloads without one write raft index 0");
            }
            assertEquals(42, log.lastRaftIndex(), "a record without a raft index does not lower the largest");
        }
    }

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldNeverLetTimestampsDecreaseAlongTheLog(boolean pool, @TempDir Path dir) throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, pool, FlushMode.ASYNC);
        long future = System.currentTimeMillis() + TimeUnit.HOURS.toMillis(1);
        try (CommitLog log = CommitLog.open(config)) {
            append(log, 0, 1, T0, 1);
            append(log, 1, 2, T0 - 1000, 2); // a leader whose clock stepped back
            log.append(new EventRecord[] {TestRecords.record(3)}, 1, 3).toCompletableFuture().get(10, TimeUnit.SECONDS);
            long now = headers(log).get(3)[0];
            assertTrue(now > T0, "the wall clock, now");
            append(log, 4, 1, future, 3);
            log.append(new EventRecord[] {TestRecords.record(5)}, 1, 5).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertHeaders(List.of(new long[] {T0, 1}, new long[] {T0, 2}, new long[] {T0, 2}, new long[] {now, 0},
                    new long[] {future, 3}, new long[] {future, 0}), headers(log));
            assertEquals(future, log.lastTimestamp(), "the wall clock is behind the last record: it repeats");
        }
        try (CommitLog log = CommitLog.open(config)) {
            assertEquals(future, log.lastTimestamp(), "the last record's, at open");
            append(log, 6, 1, T0, 4);
            assertEquals(future, headers(log).get(6)[0], "not below the last record's across a restart either");
        }
    }

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldRefuseARaftIndexBelowTheLastOneWrittenAndWriteNothing(boolean pool, @TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            append(log, 0, 1, T0, 10);
            long tail = log.committedPosition();
            for (long raftIndex : new long[] {9, -1}) {
                LogAppend refused = log.append(new EventRecord[] {TestRecords.record(1)}, 1, 1, Durability.COMMITTED,
                        T0, raftIndex, Placement.NONE);
                assertNull(refused.reserved(), "refused before anything was placed");
                ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(10, TimeUnit.SECONDS));
                assertInstanceOf(IllegalArgumentException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("raftIndex=" + raftIndex), e.getCause().getMessage());
            }
            assertEquals(tail, log.writtenPosition(), "nothing written");
            append(log, 1, 1, T0, 10); // one entry may write several batches
            append(log, 2, 1, T0, 0);
            assertEquals(10, log.lastRaftIndex());
        }
    }

    /**
     * Writes {@code batches} batches, the k-th (1-based) of 1 to 3 records with raft index k and
     * timestamp T0 + k, and closes cleanly. Returns each batch's result.
     */
    private static List<AppendResult> writeBatches(LogConfig config, int batches) throws Exception {
        List<AppendResult> results = new ArrayList<>();
        try (CommitLog log = CommitLog.open(config)) {
            long version = 0;
            for (int k = 1; k <= batches; k++) {
                int count = k % 3 + 1;
                results.add(append(log, version, count, T0 + k, k));
                version += count;
            }
        }
        return results;
    }

    @ParameterizedTest(name = "checkpoint={0}")
    @ValueSource(strings = {"last-batch", "at-tail", "absent"})
    void shouldFindTheLastBatchAtACleanOpenWhateverTheCheckpoint(String checkpoint, @TempDir Path dir) throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, true, FlushMode.ASYNC);
        List<AppendResult> results = writeBatches(config, 150); // several segments, with end-of-segment markers
        AppendResult last = results.get(results.size() - 1);
        assertTrue(last.position() > 2L * config.segmentSize(), "the batches span segments");
        assertEquals(last.position(), Checkpoint.checkpoint(dir).read(), "a clean close leaves the checkpoint at the last batch");
        if (checkpoint.equals("last-batch")) {
            Checkpoint.checkpoint(dir).write(last.position());
        } else if (checkpoint.equals("at-tail")) {
            Checkpoint.checkpoint(dir).write(last.endPosition()); // as an older Strand's close left it
        } else if (checkpoint.equals("absent")) {
            Checkpoint.checkpoint(dir).delete();
        }
        try (CommitLog log = CommitLog.open(config)) {
            assertTrue(log.recoveredCleanly());
            assertEquals(150, log.lastRaftIndex());
            assertEquals(T0 + 150, log.lastTimestamp());
        }
    }

    /** With 40 batches the last one starts a segment (an end-of-segment marker before it), with 30 not. */
    @ParameterizedTest(name = "pool={0}, scanFromStart={1}, batches={2}")
    @CsvSource({"true,false,40", "false,false,40", "true,true,40", "false,true,40", "true,false,30", "false,true,30"})
    void shouldFindTheLastSurvivingRaftIndexAfterATornTailIsTruncated(boolean pool, boolean scanFromStart, int batches,
                                                                      @TempDir Path dir) throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, pool, FlushMode.ASYNC);
        List<AppendResult> results = writeBatches(config, batches);
        // A crash that tore the last batch: its first record's body does not match its CRC.
        AppendResult torn = results.get(batches - 1);
        assertEquals(batches == 40, torn.position() != results.get(batches - 2).endPosition(), "a marker before it");
        Checkpoint.cleanShutdownMarker(dir).delete();
        if (scanFromStart) {
            Checkpoint.checkpoint(dir).delete();
        } else {
            // Flushed up to the torn batch before the crash: the scan starts there, finds no complete
            // batch, and the last one is found by walking its segment.
            Checkpoint.checkpoint(dir).write(torn.position());
        }
        SegmentFiles.flip(dir, config.segmentSize(), torn.position() + RecordDescriptor.HEADER_LENGTH + 2, 0x01);

        try (CommitLog log = CommitLog.open(config)) {
            assertFalse(log.recoveredCleanly());
            assertEquals(torn.position(), log.committedPosition(), "the torn batch was truncated");
            assertEquals(batches - 1, log.lastRaftIndex(), "the raft index of the last surviving record");
            assertEquals(T0 + batches - 1, log.lastTimestamp());
            append(log, 1000, 1, T0, batches); // the entry is applied again
            assertEquals(batches, log.lastRaftIndex());
            assertEquals(T0 + batches - 1, log.lastTimestamp(), "the given timestamp is below the last record's");
        }
    }

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldKeepTheLastRaftIndexWhenRetentionDeletesOldSegments(boolean pool, @TempDir Path dir) throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, pool, FlushMode.ASYNC);
        try (CommitLog log = CommitLog.open(config)) {
            for (int k = 1; k <= 150; k++) {
                append(log, k, 1, T0 + k, k);
            }
            log.append(new EventRecord[] {TestRecords.record(0)}, 1, 151, Durability.FLUSHED, T0 + 151, 151, Placement.NONE)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            int before = log.segmentCount();
            assertTrue(log.deleteBefore(log.committedPosition()) > 0, "old segments deleted");
            assertTrue(log.segmentCount() < before);
            assertEquals(151, log.lastRaftIndex(), "remembered: retention never deletes the last record's segment");
        }
        try (CommitLog log = CommitLog.open(config)) {
            assertEquals(151, log.lastRaftIndex());
        }
    }
}
