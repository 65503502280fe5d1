package io.strand.log;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a crash, the bytes between the checkpoint and the recovered tail were in the crashed
 * process's page cache, not necessarily on disk. They must not count as flushed: the first flush
 * after reopening forces every segment they lie in, and only then do the flushed position and the
 * checkpoint move past them.
 */
class RecoveredDurabilityTest {

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldForceRecoveredBytesBeyondTheCheckpoint(boolean pool, @TempDir Path dir) throws Exception {
        // No flush unless asked: the test decides when the flush thread runs.
        LogConfig config = TestRecords.smallConfig(dir, pool, FlushMode.ASYNC).withFlush(FlushMode.ASYNC, Duration.ofHours(1));
        int segmentSize = config.segmentSize();
        long checkpoint;
        long tail;
        int n = 0;
        try (CommitLog log = CommitLog.open(config)) {
            AppendResult r = log.append(new EventRecord[] {TestRecords.record(n)}, 1, n).toCompletableFuture().get();
            n++;
            checkpoint = r.endPosition();
            while (r.endPosition() < 2L * segmentSize + 1000) {
                r = log.append(new EventRecord[] {TestRecords.record(n)}, 1, n).toCompletableFuture().get();
                n++;
            }
            tail = r.endPosition();
        }
        // A crash after the flush thread checkpointed the first record only.
        Checkpoint.cleanShutdownMarker(dir).delete();
        Checkpoint.checkpoint(dir).write(checkpoint);

        try (CommitLog log = CommitLog.open(config)) {
            assertFalse(log.recoveredCleanly());
            assertEquals(tail, log.committedPosition());
            assertEquals(checkpoint, log.flushedPosition(), "recovered bytes after the checkpoint are not known to be on disk");
            long forces = log.forceCount();
            AppendResult r = log.append(new EventRecord[] {TestRecords.record(n)}, 1, n, Durability.FLUSHED)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(log.flushedPosition() >= r.endPosition());
            long segmentsToForce = r.endPosition() / segmentSize - checkpoint / segmentSize + 1;
            assertTrue(log.forceCount() - forces >= segmentsToForce, "the flush forced every segment from the checkpoint on: forces="
                    + (log.forceCount() - forces) + ", segments=" + segmentsToForce);
        }
        // The close flushed past the recovered bytes and left the checkpoint at its last batch (the one appended above).
        assertEquals(tail, Checkpoint.checkpoint(dir).read());
    }
}
