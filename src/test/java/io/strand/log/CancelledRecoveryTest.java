package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stop during recovery (SIGTERM while the pod starts) cancels the scan through its progress: the
 * open fails at once, releases the data directory, changes nothing on disk, and the next open
 * recovers everything.
 */
class CancelledRecoveryTest {
    @Test
    void shouldStopTheScanWhenCancelledAndRecoverFullyNextTime(@TempDir Path dir) throws Exception {
        List<AppendResult> results = new ArrayList<>();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            for (int i = 0; i < 200; i++) {
                results.add(log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture().get());
            }
        }
        Checkpoint.cleanShutdownMarker(dir).delete(); // a crash: the next open scans
        Checkpoint.checkpoint(dir).delete();

        RecoveryProgress cancelled = new RecoveryProgress();
        cancelled.cancel();
        assertThrows(CancellationException.class,
                () -> CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC), cancelled).close());

        RecoveryProgress progress = new RecoveryProgress();
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC), progress)) {
            long end = results.get(results.size() - 1).endPosition();
            assertEquals(end, log.committedPosition(), "every record is still there: the cancelled scan changed nothing");
            assertTrue(log.recoveryScannedBytes() > 0, "the second open scanned (it was a crash)");
        }
    }
}
