package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One open log per data directory: a second open is refused until the first is closed. */
class DataDirLockTest {
    @Test
    void shouldRefuseASecondLogOnTheSameDirectory(@TempDir Path dir) throws Exception {
        LogConfig config = TestRecords.smallConfig(dir, true, FlushMode.ASYNC);
        try (CommitLog first = CommitLog.open(config)) {
            IOException e = assertThrows(IOException.class, () -> CommitLog.open(config));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            first.append(new EventRecord[]{TestRecords.record(0)}, 1, 0).toCompletableFuture().join();
        }
        try (CommitLog again = CommitLog.open(config)) {
            assertTrue(again.committedPosition() > 0, "reopened after the first closed");
        }
    }
}
