package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link CommitLog#range} racing retention: a range of a segment retention deletes meanwhile either
 * comes back whole or fails with {@link IllegalArgumentException}, never NullPointerException.
 */
class RangeRetentionTest {

    @Test
    void shouldFailClearlyWhenRetentionDeletesTheSegmentUnderARange(@TempDir Path dir) throws Exception {
        for (int round = 0; round < 10; round++) {
            LogConfig config = TestRecords.smallConfig(dir.resolve("r" + round), true, FlushMode.ASYNC);
            try (CommitLog log = CommitLog.open(config)) {
                int n = 0;
                while (log.committedPosition() < 3L * config.segmentSize()) {
                    log.append(new EventRecord[] {TestRecords.record(n)}, 1, n).toCompletableFuture().get();
                    n++;
                }
                log.append(new EventRecord[] {TestRecords.record(n)}, 1, n, Durability.FLUSHED)
                        .toCompletableFuture().get(10, TimeUnit.SECONDS);
                AtomicReference<Throwable> unexpected = new AtomicReference<>();
                Thread reader = new Thread(() -> {
                    try {
                        while (true) {
                            assertNotNull(log.range(0, 1 << 20).file());
                        }
                    } catch (PositionNotHeldException expected) {
                        // deleted by retention: a clear refusal
                    } catch (Throwable t) {
                        unexpected.set(t);
                    }
                });
                reader.start();
                Thread.sleep(1 + round % 3);
                assertEquals(2, log.deleteBefore(2L * config.segmentSize()));
                reader.join(10_000);
                assertNull(unexpected.get(), () -> "range failed unclearly: " + unexpected.get());
                assertThrows(PositionNotHeldException.class, () -> log.range(0, 1 << 20));
            }
        }
    }
}
