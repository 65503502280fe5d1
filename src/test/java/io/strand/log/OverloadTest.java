package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With the commit thread stalled (it cannot get its segment while the test holds the segment
 * list's monitor), appends must fail fast with the overload error instead of hanging or queueing,
 * and recover by themselves once the commit thread moves again.
 */
class OverloadTest {

    @Test
    void shouldRefuseAppendsWhenThePoolIsExhaustedAndResumeAfterwards(@TempDir Path dir) throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, true, FlushMode.ASYNC).withPool(true, 2, 16 * 1024);
        try (CommitLog log = CommitLog.open(config)) {
            List<CompletableFuture<AppendResult>> accepted = new ArrayList<>();
            LogOverloadedException overload = null;
            synchronized (log.segments()) {
                for (int i = 0; i < 1000 && overload == null; i++) {
                    CompletableFuture<AppendResult> f =
                            log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture();
                    if (f.isCompletedExceptionally()) {
                        overload = (LogOverloadedException) assertThrowsCause(f);
                    } else {
                        accepted.add(f);
                    }
                }
                assertTrue(overload != null, "two 16 KiB buffers cannot take 1000 records without a commit");
                assertTrue(overload.getMessage().contains("pool"), overload.getMessage());
                assertTrue(accepted.size() < 60, "refused as soon as both buffers were full: " + accepted.size());
                for (CompletableFuture<AppendResult> f : accepted) {
                    assertFalse(f.isDone(), "nothing is acknowledged before it is committed");
                }
            }
            for (CompletableFuture<AppendResult> f : accepted) {
                f.get(10, TimeUnit.SECONDS);
            }
            // The refused append wrote nothing: the log holds exactly the accepted records, and takes more now.
            int n = accepted.size();
            log.append(new EventRecord[] {TestRecords.record(n)}, 1, n).toCompletableFuture().get(10, TimeUnit.SECONDS);
            try (LogCursor c = log.cursor(0)) {
                for (int i = 0; i <= n; i++) {
                    assertTrue(c.next());
                    TestRecords.assertRecord(c, i, i);
                }
                assertFalse(c.next());
            }
        }
    }

    @Test
    void shouldRefuseAppendsWhenTooManyWaitForTheFlush(@TempDir Path dir) throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, false, FlushMode.SYNC)
                .withWaitersCapacity(4).withFlush(FlushMode.SYNC, Duration.ofMillis(20));
        try (CommitLog log = CommitLog.open(config)) {
            List<CompletableFuture<AppendResult>> accepted = new ArrayList<>();
            Throwable refused = null;
            // An fdatasync takes hundreds of microseconds; a tight loop of appends outruns it, so
            // the four waiter slots fill and the next append is refused instead of queued.
            for (int i = 0; i < 1000 && refused == null; i++) {
                CompletableFuture<AppendResult> f =
                        log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture();
                if (f.isCompletedExceptionally()) {
                    refused = assertThrowsCause(f);
                } else {
                    accepted.add(f);
                }
            }
            assertInstanceOf(LogOverloadedException.class, refused);
            assertTrue(refused.getMessage().contains("waiting"), refused.getMessage());
            for (CompletableFuture<AppendResult> f : accepted) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertEquals(accepted.get(accepted.size() - 1).get().endPosition(), log.committedPosition());
        }
    }

    private static Throwable assertThrowsCause(CompletableFuture<?> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failed stage");
    }
}
