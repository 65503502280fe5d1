package io.strand.log;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sync mode is a group commit: while one fdatasync runs, the appends that arrive wait together for
 * the next, so many concurrent durable appends cost far fewer forces than appends, and each one
 * completes only once its bytes are flushed.
 */
class GroupCommitTest {

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldCoverManyConcurrentDurableAppendsWithOneForce(boolean pool, @TempDir Path dir) throws Exception {
        int threads = 32;
        int perThread = 40;
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.SYNC))) {
            long forcesBefore = log.forceCount();
            AtomicLong notFlushed = new AtomicLong();
            Concurrently.run(threads, thread -> {
                for (int k = 0; k < perThread; k++) {
                    long v = (long) thread * perThread + k;
                    AppendResult r = CommitLogRoundTripTest.appendRetrying(log,
                            new EventRecord[] {TestRecords.record(v)}, v).get(10, TimeUnit.SECONDS);
                    if (log.flushedPosition() < r.endPosition()) {
                        notFlushed.incrementAndGet();
                    }
                }
            });
            assertEquals(0, notFlushed.get(), "a sync append completes only after its bytes are flushed");
            long forces = log.forceCount() - forcesBefore;
            int appends = threads * perThread;
            assertTrue(forces > 0, "sync appends were forced");
            assertTrue(forces * 3 < appends, "one force covered many appends: forces=" + forces + ", appends=" + appends);
        }
    }
}
