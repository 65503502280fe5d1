package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the commit or the flush thread dies, whatever killed it, the log fails: every waiting and
 * later append completes with a {@link LogException} instead of waiting forever, and
 * {@link CommitLog#threadsAlive()} (the liveness probe) says so.
 */
class ThreadFailureTest {

    @Test
    void shouldFailWaitersWhenAnErrorKillsTheCommitThread(@TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            AtomicLong failFrom = new AtomicLong(Long.MAX_VALUE);
            log.addCommitListener(p -> {
                if (p >= failFrom.get()) {
                    throw new StackOverflowError("injected");
                }
            });
            failFrom.set(append(log, 0).get(10, TimeUnit.SECONDS).endPosition() + 1);
            // Committed (its waiter completes first), then the listener kills the commit thread.
            append(log, 1).get(10, TimeUnit.SECONDS);
            CompletableFuture<AppendResult> later = append(log, 2);
            ExecutionException e = assertThrows(ExecutionException.class, () -> later.get(10, TimeUnit.SECONDS));
            assertInstanceOf(LogException.class, e.getCause());
            assertNotNull(log.failure());
            awaitDead(log);
        }
    }

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldFailWaitersWhenAnErrorKillsTheFlushThread(boolean pool, @TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            AtomicBoolean armed = new AtomicBoolean(true);
            log.onForce(n -> {
                if (armed.get()) {
                    throw new AssertionError("injected");
                }
            });
            CompletableFuture<AppendResult> durable = log.append(new EventRecord[] {TestRecords.record(0)}, 1, 0,
                    Durability.FLUSHED).toCompletableFuture();
            ExecutionException e = assertThrows(ExecutionException.class, () -> durable.get(10, TimeUnit.SECONDS));
            assertInstanceOf(LogException.class, e.getCause());
            awaitDead(log);
            CompletableFuture<AppendResult> later = append(log, 1);
            assertThrows(ExecutionException.class, () -> later.get(10, TimeUnit.SECONDS), "a failed log refuses appends");
            armed.set(false);
        }
    }

    /**
     * Appenders race a commit failure: a waiter registered while the log fails must be failed too.
     * The window is small, so this repeats; it found waiters left hanging before fail() took the
     * append lock.
     */
    @Test
    void shouldCompleteEveryWaiterWhenTheCommitFailsUnderLoad(@TempDir Path dir) throws Exception {
        for (int round = 0; round < 20; round++) {
            Path d = dir.resolve("r" + round);
            List<CompletableFuture<AppendResult>> all = java.util.Collections.synchronizedList(new ArrayList<>());
            try (CommitLog log = CommitLog.open(TestRecords.smallConfig(d, true, FlushMode.ASYNC))) {
                AtomicInteger commits = new AtomicInteger();
                int failAt = 20 + round * 3;
                log.addCommitListener(p -> {
                    if (commits.incrementAndGet() == failAt) {
                        throw new IllegalStateException("injected");
                    }
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                Concurrently.run(4, thread -> {
                    for (long i = thread * 1_000_000L; log.failure() == null && System.nanoTime() < deadline; i++) {
                        CompletableFuture<AppendResult> f = append(log, i);
                        if (f.isCompletedExceptionally()) {
                            Thread.yield(); // overloaded: let the commit thread catch up
                        } else {
                            all.add(f);
                        }
                    }
                    for (int i = 0; i < 50; i++) {
                        all.add(append(log, thread * 1_000_000L + 900_000 + i));
                    }
                });
                for (CompletableFuture<AppendResult> f : all) {
                    try {
                        f.get(10, TimeUnit.SECONDS);
                    } catch (ExecutionException expected) {
                        // failed or refused: fine, as long as it completed
                    }
                }
                assertNotNull(log.failure());
            }
        }
    }

    private static CompletableFuture<AppendResult> append(CommitLog log, long i) {
        return log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture();
    }

    private static void awaitDead(CommitLog log) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (log.threadsAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertFalse(log.threadsAlive(), "the liveness probe sees the dead thread");
        assertTrue(log.failure() != null, "the log failed");
    }
}
