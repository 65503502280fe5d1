package io.strand.store;

import io.strand.index.DedupIndex;
import io.strand.log.Durability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code append(..., coldReads)}: the common append runs inline; a repeat check that must read the
 * log (a re-send, a fingerprint false positive) or wait for an in-flight append runs on the cold
 * executor, never on the caller's thread; a refusing executor fails the stage and writes nothing.
 */
class ColdReadsTest {

    /** Holds tasks until the test runs them: shows what the calling thread left for the executor. */
    private static final class ManualExecutor implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public synchronized void execute(Runnable r) {
            tasks.add(r);
        }

        synchronized int pending() {
            return tasks.size();
        }

        void runAll() {
            Runnable r;
            while ((r = poll()) != null) {
                r.run();
            }
        }

        private synchronized Runnable poll() {
            return tasks.poll();
        }
    }

    private static AppendOutcome get(java.util.concurrent.CompletionStage<AppendOutcome> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void shouldAppendNewEventsInlineWithoutTouchingTheColdExecutor(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            ManualExecutor cold = new ManualExecutor();
            for (int i = 0; i < 300; i++) { // past SCAN_VERSIONS: the dedup index is asked too
                AppendOutcome o = get(f.store.append("hot", List.of(event(i)), ExpectedVersion.ANY, null, cold));
                assertFalse(o.duplicate());
                assertEquals(i, o.firstVersion());
            }
            assertEquals(0, cold.pending(), "no candidate, no hop");
        }
    }

    @Test
    void shouldReadARepeatsCandidatesOnTheColdExecutorOnly(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 100; i++) {
                f.append("s", ExpectedVersion.ANY, event(i));
            }
            AppendOutcome original = f.append("s", ExpectedVersion.ANY, event(500), event(501));
            long end = f.log.committedPosition();
            for (List<NewEvent> resend : List.of(List.of(event(500), event(501)), List.of(event(3)))) {
                ManualExecutor cold = new ManualExecutor();
                CompletableFuture<AppendOutcome> again = f.store.append("s", resend, ExpectedVersion.ANY, null, cold)
                        .toCompletableFuture();
                assertFalse(again.isDone(), "the calling thread read nothing and answered nothing");
                assertEquals(1, cold.pending());
                cold.runAll();
                AppendOutcome o = again.get(30, TimeUnit.SECONDS);
                assertTrue(o.duplicate());
            }
            AppendOutcome o = get(f.store.append("s", List.of(event(500), event(501)), ExpectedVersion.ANY,
                    Durability.FLUSHED, Runnable::run));
            assertTrue(o.duplicate());
            assertEquals(original.position(), o.position());
            assertEquals(end, f.log.committedPosition(), "repeats write nothing");
            // A conflict found on the cold thread is still a conflict.
            ExecutionException conflict = assertThrows(ExecutionException.class, () -> get(
                    f.store.append("s", List.of(event(500), event(9999)), ExpectedVersion.ANY, null, Runnable::run)));
            assertInstanceOf(IdempotencyConflictException.class, conflict.getCause());
        }
    }

    @Test
    void shouldConfirmAFingerprintFalsePositiveOnTheColdExecutorAndAppend(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            NewEvent first = event(1);
            f.append("fp", ExpectedVersion.ANY, first);
            int streamId = f.store.index().catalog().get("fp").id();
            UUID twin = fingerprintTwin(streamId, first.id());
            NewEvent other = new NewEvent(twin, "T", "{}".getBytes(), null, false);
            ManualExecutor cold = new ManualExecutor();
            CompletableFuture<AppendOutcome> stage = f.store.append("fp", List.of(other), ExpectedVersion.ANY, null, cold)
                    .toCompletableFuture();
            assertFalse(stage.isDone(), "a fingerprint match is read off the calling thread");
            assertEquals(1, cold.pending());
            cold.runAll();
            AppendOutcome o = stage.get(30, TimeUnit.SECONDS);
            assertFalse(o.duplicate(), "not the same id: appended");
            assertEquals(1, o.firstVersion());
            StoreFixture.assertEvent(other, f.store.readEvent("fp", 1));
        }
    }

    /** An id other than {@code id} whose 19-bit stream-index fingerprint in stream {@code streamId} equals {@code id}'s. */
    private static UUID fingerprintTwin(int streamId, UUID id) {
        long want = fingerprint(DedupIndex.key(streamId, id.getMostSignificantBits(), id.getLeastSignificantBits()));
        for (long lsb = 1; ; lsb++) {
            if (lsb != id.getLeastSignificantBits() && fingerprint(DedupIndex.key(streamId, 77, lsb)) == want) {
                return new UUID(77, lsb);
            }
        }
    }

    /** As StreamEntry.fingerprint(key). */
    private static long fingerprint(long key) {
        return (key >>> 24) & ((1L << 19) - 1);
    }

    @Test
    void shouldFailWithTheRejectionWhenTheColdExecutorIsFullAndWriteNothing(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("r", ExpectedVersion.ANY, event(0), event(1));
            long end = f.log.committedPosition();
            Executor full = r -> {
                throw new RejectedExecutionException("full");
            };
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> get(f.store.append("r", List.of(event(0), event(1)), ExpectedVersion.ANY, null, full)));
            assertInstanceOf(RejectedExecutionException.class, e.getCause());
            assertEquals(end, f.log.committedPosition());
            AppendOutcome fresh = get(f.store.append("r", List.of(event(2)), ExpectedVersion.ANY, null, full));
            assertEquals(2, fresh.firstVersion(), "the common path never asks the executor");
        }
    }

    @Test
    void shouldWriteARepeatSentConcurrentlyExactlyOnceContinuingOnTheColdExecutor(@TempDir Path dir) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> new Thread(r, "cold-reader"));
        AtomicInteger hops = new AtomicInteger();
        Executor cold = r -> {
            hops.incrementAndGet();
            pool.execute(r);
        };
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int round = 0; round < 50; round++) {
                List<NewEvent> batch = StoreFixture.events(round * 10L, 3);
                ConcurrentLinkedQueue<AppendOutcome> outcomes = new ConcurrentLinkedQueue<>();
                io.strand.log.Concurrently.run(8, t -> outcomes.add(get(
                        f.store.append("c", batch, ExpectedVersion.ANY, t % 2 == 0 ? null : Durability.FLUSHED, cold))));
                assertEquals(8, outcomes.size());
                assertEquals(1, outcomes.stream().filter(o -> !o.duplicate()).count(), "exactly one send writes");
                assertEquals(1, outcomes.stream().map(AppendOutcome::position).distinct().count());
                assertEquals(round * 3L + 2, f.store.streamInfo("c").lastVersion());
            }
            assertTrue(hops.get() >= 50 * 7, "every repeat went to the cold executor: " + hops.get());
        } finally {
            pool.shutdownNow();
        }
    }
}
