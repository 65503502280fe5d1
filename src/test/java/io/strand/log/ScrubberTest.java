package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The background scrubber on a real log: it finds a byte flipped in a flushed segment with no read
 * at all, counts what it verified, never reads past the flushed position, keeps to its rate (counted
 * with a fake clock, not timed), and stops with the log.
 */
class ScrubberTest {
    private static final int RECORDS = 40;

    @TempDir
    Path dir;

    private static List<AppendResult> write(CommitLog log) throws Exception {
        List<AppendResult> results = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            results.add(log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture().get());
        }
        return results;
    }

    private void flip(CommitLog log, long position) throws IOException {
        SegmentFiles.flip(dir, log.config().segmentSize(), position, 0x01);
    }

    private static void awaitFlushed(CommitLog log) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (log.flushedPosition() < log.committedPosition()) {
            assertTrue(System.nanoTime() < deadline, "flushed within 10 s");
            Thread.sleep(5);
        }
    }

    @Test
    void shouldFindAFlippedByteWithoutAnyReadAndStopWithTheLog() throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, true, FlushMode.ASYNC).withScrub(1L << 30, Duration.ofMillis(20));
        CommitLog log = CommitLog.open(config);
        LogIntegrity integrity = log.integrity();
        try {
            List<AppendResult> results = write(log);
            awaitFlushed(log);
            flip(log, results.get(17).position() + RecordDescriptor.HEADER_LENGTH + 3);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (log.integrity().corruptRecords() == 0) {
                assertTrue(System.nanoTime() < deadline, "the scrubber found it within 10 s");
                Thread.sleep(5);
            }
            assertEquals(1, log.integrity().corruptRecords());
            long verified = log.integrity().scrubVerifiedBytes();
            assertTrue(verified > 0, "it counts what it verified: " + verified);
            // Found by the scrubber, then by a read: still one.
            try {
                log.readRecord(results.get(17).position()).close();
            } catch (CorruptRecordException expected) {
                assertEquals(results.get(17).position(), expected.position());
            }
            assertEquals(1, log.integrity().corruptRecords(), "one count per position, whoever found it");
            assertTrue(integrity.scrubberRunning());
        } finally {
            log.close();
        }
        assertFalse(integrity.scrubberRunning(), "the scrub thread ends with the log");
    }

    @Test
    void shouldNotStartAScrubberAtRateZero() throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, true, FlushMode.ASYNC).withScrub(0, Duration.ofMillis(20));
        try (CommitLog log = CommitLog.open(config)) {
            write(log);
            assertFalse(log.integrity().scrubberRunning());
            assertEquals(0, log.integrity().scrubVerifiedBytes());
        }
    }

    @Test
    void shouldVerifyOnlyBelowTheFlushedPosition() throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, false, FlushMode.ASYNC))) {
            List<AppendResult> results = write(log);
            awaitFlushed(log);
            long flushed = results.get(20).position(); // as if only records 0..19 were flushed
            flip(log, results.get(25).position() + RecordDescriptor.TIMESTAMP_OFFSET); // beyond it
            CorruptRecords found = new CorruptRecords();
            Scrubber scrubber = new Scrubber(log.segments(), () -> flushed, found, 1L << 40, 1, Scrubber.SYSTEM);
            assertEquals(flushed, scrubber.pass(), "it verifies exactly up to the flushed position");
            assertEquals(flushed, scrubber.verifiedBytes());
            assertEquals(0, found.count(), "a record past the flushed position is not checked");

            flip(log, results.get(19).position() + RecordDescriptor.TIMESTAMP_OFFSET); // below it
            scrubber.pass();
            assertEquals(1, found.count());
            assertEquals(2 * flushed, scrubber.verifiedBytes());
        }
    }

    @Test
    void shouldKeepToItsRate() throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, false, FlushMode.ASYNC))) {
            write(log);
            awaitFlushed(log);
            long flushed = log.flushedPosition();
            long rate = 100_000; // bytes per second
            long[] now = {0};
            int[] sleeps = {0};
            Scrubber.Pacer fake = new Scrubber.Pacer() {
                @Override
                public long nanoTime() {
                    return now[0];
                }

                @Override
                public void sleep(long nanos) {
                    sleeps[0]++;
                    now[0] += nanos;
                }
            };
            Scrubber scrubber = new Scrubber(log.segments(), () -> flushed, new CorruptRecords(), rate, 1, fake);
            long bytes = scrubber.pass();
            assertEquals(flushed, bytes);
            long due = bytes * 1_000_000_000L / rate; // what the rate allows for these bytes
            assertTrue(now[0] >= due - Scrubber.MIN_SLEEP_NANOS && now[0] <= due + Scrubber.MIN_SLEEP_NANOS,
                    "it slept what the rate asks: slept=" + now[0] + ", due=" + due);
            assertEquals(sleeps[0], scrubber.sleeps());
            assertTrue(sleeps[0] >= 1 && sleeps[0] <= RECORDS, "at most one sleep per record: " + sleeps[0]);
        }
    }
}
