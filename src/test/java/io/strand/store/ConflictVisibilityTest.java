package io.strand.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 409 names only a version readers can see (linearizability): found by a history checker, where
 * a conflict reported the version of an append still in flight, which a read then did not return.
 * The log's commit thread is held in a commit listener, so an append stays in flight for as long as
 * the test wants.
 */
class ConflictVisibilityTest {

    /**
     * Once armed, the listener call of the first commit beyond the committed position at arming
     * blocks the commit thread until released (a call still due for an earlier commit passes).
     */
    private static final class CommitGate implements LongConsumer {
        final AtomicBoolean armed = new AtomicBoolean();
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile long beyond = Long.MAX_VALUE;

        void arm(long committed) {
            beyond = committed;
            armed.set(true);
        }

        @Override
        public void accept(long committed) {
            if (committed > beyond && armed.compareAndSet(true, false)) {
                holding.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Test
    void shouldAnswerAConflictOnlyWithAVersionAReadReturns(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 5; i++) {
                f.append("s", ExpectedVersion.ANY, event(i)); // versions 0..4
            }
            CommitGate gate = new CommitGate();
            f.log.addCommitListener(gate);
            try {
                gate.arm(f.log.committedPosition());
                f.append("s", ExpectedVersion.ANY, event(5)); // committed, then the commit thread is held
                assertTrue(gate.holding.await(30, TimeUnit.SECONDS));

                CompletableFuture<AppendOutcome> a = append(f, 4 + 2, ExpectedVersion.ANY); // version 6: in flight
                Thread.sleep(100);
                assertFalse(a.isDone(), "the commit thread is held: version 6 is in flight");
                assertEquals(5, f.store.streamInfo("s").lastVersion(), "readers see up to version 5");

                // A stale expectation conflicts with what readers see: answered at once, naming 5, not 6.
                WrongExpectedVersionException stale = conflict(append(f, 7, 2));
                assertEquals(5, stale.current(), "the committed version, never the in-flight one");
                f.store.readEvent("s", stale.current());

                // Expecting the committed version, 5: it conflicts only with the in-flight append, so
                // the answer waits for it to be acknowledged.
                CompletableFuture<AppendOutcome> b = append(f, 8, 5);
                CompletableFuture<Boolean> aDoneWhenB = b.handle((o, e) -> a.isDone());
                Thread.sleep(200);
                assertFalse(b.isDone(), "no 409 before the append it counts is acknowledged");

                gate.release.countDown();
                assertEquals(6, a.get(30, TimeUnit.SECONDS).firstVersion());
                WrongExpectedVersionException behind = conflict(b);
                assertTrue(aDoneWhenB.get(30, TimeUnit.SECONDS), "the 409 completed after the append it names");
                assertEquals(6, behind.current());
                assertEquals(6, f.store.readEvent("s", behind.current()).version(), "a read returns the version named");
                assertEquals(6, f.store.streamInfo("s").lastVersion(), "the conflicting appends wrote nothing");
            } finally {
                gate.release.countDown();
                f.log.removeCommitListener(gate);
            }
        }
    }

    @Test
    void shouldAppendAfterTheInFlightAppendWhenExpectingItsVersion(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("s", ExpectedVersion.NO_STREAM, event(0));
            CommitGate gate = new CommitGate();
            f.log.addCommitListener(gate);
            try {
                gate.arm(f.log.committedPosition());
                f.append("s", ExpectedVersion.ANY, event(1));
                assertTrue(gate.holding.await(30, TimeUnit.SECONDS));
                CompletableFuture<AppendOutcome> a = append(f, 2, 1); // version 2, in flight
                // Expecting the in-flight version is not a conflict: it is appended behind it.
                CompletableFuture<AppendOutcome> b = append(f, 3, 2);
                Thread.sleep(100);
                assertFalse(a.isDone());
                gate.release.countDown();
                assertEquals(2, a.get(30, TimeUnit.SECONDS).firstVersion());
                assertEquals(3, b.get(30, TimeUnit.SECONDS).firstVersion());
            } finally {
                gate.release.countDown();
                f.log.removeCommitListener(gate);
            }
        }
    }

    private static CompletableFuture<AppendOutcome> append(StoreFixture f, int event, long expected) {
        return f.store.append("s", List.of(event(event)), expected, null).toCompletableFuture();
    }

    private static WrongExpectedVersionException conflict(CompletableFuture<AppendOutcome> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        return assertInstanceOf(WrongExpectedVersionException.class, e.getCause());
    }
}
