package io.strand.log;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommitLogRoundTripTest {

    static Stream<Arguments> modes() {
        return Stream.of(
                Arguments.of(true, FlushMode.ASYNC),
                Arguments.of(true, FlushMode.SYNC),
                Arguments.of(false, FlushMode.ASYNC),
                Arguments.of(false, FlushMode.SYNC));
    }

    @ParameterizedTest(name = "pool={0}, flush={1}")
    @MethodSource("modes")
    void shouldReadBackEveryRecordAcrossSegmentRolloversAndAReopen(boolean pool, FlushMode mode, @TempDir Path dir)
            throws Exception {
        int n = 3000;
        List<AppendResult> results = new ArrayList<>();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, mode))) {
            List<CompletableFuture<AppendResult>> pending = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                EventRecord[] batch = {TestRecords.record(i)};
                pending.add(appendRetrying(log, batch, i));
                if (pending.size() == 64) {
                    for (CompletableFuture<AppendResult> f : pending) {
                        results.add(f.get(10, TimeUnit.SECONDS));
                    }
                    pending.clear();
                }
            }
            for (CompletableFuture<AppendResult> f : pending) {
                results.add(f.get(10, TimeUnit.SECONDS));
            }
            assertTrue(log.segmentCount() > 10, "should have rolled over many 64 KiB segments: " + log.segmentCount());
            if (mode == FlushMode.SYNC) {
                assertTrue(log.flushedPosition() >= results.get(n - 1).endPosition(), "sync appends complete after the flush");
            }
            verify(log, results);
        }
        assertTrue(Files.exists(dir.resolve("clean-shutdown")));
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, mode))) {
            assertTrue(log.recoveredCleanly());
            assertFalse(Files.exists(dir.resolve("clean-shutdown")), "the marker is consumed at open");
            assertEquals(results.get(n - 1).endPosition(), log.committedPosition());
            verify(log, results);
            // Appends continue at the old tail.
            AppendResult next = log.append(new EventRecord[] {TestRecords.record(n)}, 1, n).toCompletableFuture().get();
            assertEquals(results.get(n - 1).endPosition(), next.position());
        }
    }

    static CompletableFuture<AppendResult> appendRetrying(CommitLog log, EventRecord[] batch, long version)
            throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            CompletableFuture<AppendResult> f = log.append(batch, batch.length, version).toCompletableFuture();
            if (!f.isCompletedExceptionally()) {
                return f;
            }
            try {
                f.join();
            } catch (RuntimeException e) {
                if (!(e.getCause() instanceof LogOverloadedException) || attempt > 100_000) {
                    throw e;
                }
            }
            Thread.sleep(0, 200_000);
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

    @ParameterizedTest(name = "pool={0}, flush={1}")
    @MethodSource("modes")
    void shouldGiveConcurrentAppendersATotalOrderWithoutLostOrInterleavedBytes(boolean pool, FlushMode mode,
                                                                              @TempDir Path dir) throws Exception {
        int threads = 6;
        int perThread = 400;
        ConcurrentHashMap<Long, Long> positionToRecord = new ConcurrentHashMap<>();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, mode))) {
            Concurrently.run(threads, thread -> {
                for (int k = 0; k < perThread; k++) {
                    long id = (long) thread * perThread + k;
                    // Batches of 1..3 records: the batch is atomic and contiguous.
                    int size = (int) (id % 3) + 1;
                    EventRecord[] batch = new EventRecord[size];
                    for (int j = 0; j < size; j++) {
                        batch[j] = TestRecords.record(id * 4 + j);
                    }
                    AppendResult r = appendRetrying(log, batch, id * 4).get(10, TimeUnit.SECONDS);
                    positionToRecord.put(r.position(), id);
                }
            });
            assertEquals(threads * perThread, positionToRecord.size());
            int seen = 0;
            try (LogCursor c = log.cursor(0)) {
                while (c.next()) {
                    Long id = positionToRecord.get(c.position());
                    if (id == null) {
                        throw new AssertionError("a record starts where no batch did: position=" + c.position());
                    }
                    int size = (int) (id % 3) + 1;
                    for (int j = 0; j < size; j++) {
                        if (j > 0) {
                            assertTrue(c.next(), "batch continues");
                        }
                        TestRecords.assertRecord(c, id * 4 + j, id * 4 + j);
                    }
                    seen++;
                }
            }
            assertEquals(threads * perThread, seen);
        }
    }
}
