package io.strand.log;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Subscribers are woken by the commit path: a listener hears every commit, up to the last one. */
class CommitListenerTest {

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldTellListenersTheCommittedPositionAfterEveryCommit(boolean pool, @TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            AtomicLong highest = new AtomicLong(-1);
            AtomicLong calls = new AtomicLong();
            LongConsumer listener = p -> {
                calls.incrementAndGet();
                highest.accumulateAndGet(p, Math::max);
            };
            log.addCommitListener(listener);
            AppendResult last = null;
            for (int i = 0; i < 200; i++) {
                last = log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (highest.get() < last.endPosition() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(last.endPosition(), highest.get(), "the listener heard the last commit");
            assertTrue(calls.get() > 0);
            log.removeCommitListener(listener);
            long before = calls.get();
            log.append(new EventRecord[] {TestRecords.record(500)}, 1, 200).toCompletableFuture().get(10, TimeUnit.SECONDS);
            Thread.sleep(50);
            assertEquals(before, calls.get(), "a removed listener hears nothing more");
        }
    }
}
