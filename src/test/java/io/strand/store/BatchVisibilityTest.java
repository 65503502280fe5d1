package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.LogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An atomic batch is seen whole or not at all. With the pool off the log commits inside
 * {@code append}, before the store has indexed the batch's versions; readers once saw the first
 * events of a batch without its last (found by {@code EventStoreLinearizabilityTest}). Both modes.
 */
class BatchVisibilityTest {
    private static final int BATCH = 3;

    @Test
    void shouldNeverShowPartOfABatchWithThePoolOff(@TempDir Path dir) throws Exception {
        readersSeeWholeBatches(LogConfig.defaults(dir).withSegmentSize(8 << 20).withPool(false, 4, 256 * 1024));
    }

    @Test
    void shouldNeverShowPartOfABatchWithThePoolOn(@TempDir Path dir) throws Exception {
        readersSeeWholeBatches(LogConfig.defaults(dir).withSegmentSize(8 << 20).withPool(true, 4, 256 * 1024));
    }

    private static void readersSeeWholeBatches(LogConfig config) throws Exception {
        try (CommitLog log = CommitLog.open(config);
             EventStore store = EventStore.open(log, new StoreConfig(Duration.ofMinutes(10), 100_000))) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> torn = new AtomicReference<>();
            AtomicLong reads = new AtomicLong();
            Thread reader = new Thread(() -> {
                while (!stop.get() && torn.get() == null) {
                    try {
                        int n = store.readStream("b", 0, 100_000, Direction.FORWARD).events().size();
                        if (n % BATCH != 0) {
                            torn.set("a read saw " + n + " events: part of a batch of " + BATCH);
                        }
                        reads.incrementAndGet();
                    } catch (StreamNotFoundException notYet) {
                        Thread.onSpinWait();
                    }
                }
            }, "batch-reader");
            reader.start();
            List<CompletableFuture<AppendOutcome>> appends = new ArrayList<>();
            for (int i = 0; i < 3_000 && torn.get() == null; i++) {
                List<NewEvent> batch = new ArrayList<>();
                for (int j = 0; j < BATCH; j++) {
                    batch.add(NewEvent.json(UUID.randomUUID(), "E", "{\"i\":" + i + "}"));
                }
                appends.add(store.append("b", batch, ExpectedVersion.ANY, Durability.COMMITTED).toCompletableFuture());
                if (appends.size() == 64) {
                    CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).join();
                    appends.clear();
                }
            }
            CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).join();
            stop.set(true);
            reader.join();
            assertNull(torn.get());
            assertTrue(reads.get() > 0, "the reader ran");
            assertEquals(3_000 * BATCH, store.readStream("b", 0, 100_000, Direction.FORWARD).events().size());
        }
    }
}
