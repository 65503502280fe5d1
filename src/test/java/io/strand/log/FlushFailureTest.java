package io.strand.log;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed fdatasync ("fsyncgate"): Linux may mark the failed pages clean, so a later force can
 * succeed without writing them. The flush must not then move the flushed position or the checkpoint
 * over them until they were written again and forced; meanwhile readiness sees the failure, and it
 * clears once a flush succeeds. Failures are injected into the real fdatasync of real files.
 */
class FlushFailureTest {

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldRewriteTheFailedRangeBeforeTrustingALaterForce(boolean pool, @TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(flushOnDemand(dir, pool))) {
            AppendResult good = durable(log, 0).get(10, TimeUnit.SECONDS);
            awaitCheckpoint(dir, good.endPosition());

            AtomicBoolean failing = new AtomicBoolean(true);
            AtomicLong rewrittenWhenForcedAgain = new AtomicLong(-1);
            log.flushService().forcer(s -> {
                if (failing.get()) {
                    throw new IOException("injected: Input/output error");
                }
                rewrittenWhenForcedAgain.compareAndSet(-1, log.flushService().rewrittenBytes());
                s.force();
            });
            CompletableFuture<AppendResult> failed = durable(log, 1);
            ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(10, TimeUnit.SECONDS));
            assertInstanceOf(LogException.class, e.getCause(), "the durable append is told its bytes are not known to be on disk");
            assertNotNull(log.flushFailure(), "readiness sees the flush failure");
            assertNull(log.failure(), "a flush failure is not fatal");
            assertEquals(good.endPosition(), log.flushedPosition());
            assertEquals(good.endPosition(), Checkpoint.checkpoint(dir).read(), "the checkpoint stays before the failed range");

            // Still failing: a wait for a flush of committed bytes fails too, and nothing moves.
            AppendResult committed = log.append(new EventRecord[] {TestRecords.record(2)}, 1, 2)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThrows(ExecutionException.class, () -> log.awaitFlush(committed.endPosition())
                    .toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals(good.endPosition(), log.flushedPosition());

            // The cause clears: the failed range is written again before the force that moves past it.
            failing.set(false);
            AppendResult after = durable(log, 3).get(10, TimeUnit.SECONDS);
            assertNull(log.flushFailure(), "readiness comes back once a flush succeeds");
            assertTrue(log.flushedPosition() >= after.endPosition());
            assertTrue(rewrittenWhenForcedAgain.get() >= committed.endPosition() - good.endPosition(),
                    "the failed range was rewritten before it was forced again: rewritten="
                            + rewrittenWhenForcedAgain.get() + ", range=" + (committed.endPosition() - good.endPosition()));
            awaitCheckpoint(dir, after.endPosition());
            try (LogCursor cursor = log.cursor(0)) {
                for (int i = 0; i < 4; i++) {
                    assertTrue(cursor.next());
                    TestRecords.assertRecord(cursor, i, i);
                }
            }
        }
    }

    /**
     * Pages whose write-back failed may be evicted before the retry; reading them back gives the
     * disk's old bytes. The retry must not rewrite and force those as if they were the committed
     * records: it validates the range first and fails the log.
     */
    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldFailTheLogWhenTheFailedRangeNoLongerValidates(boolean pool, @TempDir Path dir) throws Exception {
        LogConfig config = flushOnDemand(dir, pool);
        try (CommitLog log = CommitLog.open(config)) {
            AppendResult good = durable(log, 0).get(10, TimeUnit.SECONDS);
            awaitCheckpoint(dir, good.endPosition());
            AtomicBoolean failing = new AtomicBoolean(true);
            log.flushService().forcer(s -> {
                if (failing.get()) {
                    throw new IOException("injected: Input/output error");
                }
                s.force();
            });
            CompletableFuture<AppendResult> failed = durable(log, 1);
            assertThrows(ExecutionException.class, () -> failed.get(10, TimeUnit.SECONDS));
            // The failed range's pages are "evicted": what the file now shows is the disk's zeros.
            long base = good.endPosition() - good.endPosition() % config.segmentSize();
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                    dir.resolve("commitlog").resolve(Segment.fileName(base)), java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.allocate(64), good.endPosition() - base);
            }
            failing.set(false);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> durable(log, 2).get(10, TimeUnit.SECONDS));
            assertInstanceOf(LogException.class, e.getCause());
            assertNotNull(log.failure(), "lost committed bytes fail the log");
            assertTrue(log.failure().getMessage().contains("no longer validate"), log.failure().getMessage());
            assertEquals(good.endPosition(), Checkpoint.checkpoint(dir).read(), "the checkpoint never passed the lost bytes");
        }
    }

    /** Flushes only when asked (a FLUSHED append), and a checkpoint after every flush. */
    private static LogConfig flushOnDemand(Path dir, boolean pool) {
        LogConfig c = TestRecords.smallConfig(dir, pool, FlushMode.ASYNC);
        return new LogConfig(c.dataDir(), c.segmentSize(), c.poolEnabled(), c.poolBuffers(),
                c.poolBufferSize(), FlushMode.ASYNC, Duration.ofHours(1), c.waitersCapacity(), Duration.ZERO);
    }

    private static CompletableFuture<AppendResult> durable(CommitLog log, long i) {
        return log.append(new EventRecord[] {TestRecords.record(i)}, 1, i, Durability.FLUSHED).toCompletableFuture();
    }

    /** The checkpoint is written just after the waiters are completed: wait for it. */
    private static void awaitCheckpoint(Path dir, long position) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Checkpoint.checkpoint(dir).read() != position && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(position, Checkpoint.checkpoint(dir).read());
    }
}
