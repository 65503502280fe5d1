package io.strand.store;

import io.strand.log.SegmentFiles;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A byte flipped in a segment file as the store meets it: the index rebuild indexes the damaged
 * record by its header (later versions keep their numbers, reads of it are refused), a group load
 * skips a damaged commit (the group falls back to its previous one), and a repeat check that
 * must read a damaged record fails the append as a corrupt record.
 */
class CorruptRecordStoreTest {
    private static final int SEGMENT_SIZE = 256 * 1024;

    private static NewEvent event(UUID id, int i) {
        return new NewEvent(id, "T", ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8), null, false);
    }

    /** Flips a bit of the last byte of the record at {@code position} (its data). */
    private static void flipLastByte(Path dir, long position, int recordLength) throws IOException {
        SegmentFiles.flip(dir, SEGMENT_SIZE, position + recordLength - 1, 0x01);
    }

    private static int recordLength(StoreFixture f, String stream, long version) {
        try (EventView v = f.store.readEventView(stream, version)) {
            return v.record().remaining();
        }
    }

    @Test
    void shouldIndexADamagedRecordByItsHeaderWhenTheIndexIsRebuilt(@TempDir Path dir) throws Exception {
        long position;
        int length;
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 10; i++) {
                f.append("a", i - 1, event(UUID.randomUUID(), i));
            }
            position = f.store.readEvent("a", 4).position();
            length = recordLength(f, "a", 4);
        }
        flipLastByte(dir, position, length);
        StoreFixture.deleteIndex(dir);
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(1, f.log.integrity().corruptRecords(), "the rebuild counted it");
            assertEquals(9, f.store.streamInfo("a").lastVersion(), "later versions keep their numbers");
            assertEquals(position, f.store.readStreamPositions("a", 4, 1, Direction.FORWARD, EventFilter.ALL).positions()[0]);
            CorruptEventException e = assertThrows(CorruptEventException.class, () -> f.store.readEvent("a", 4));
            assertEquals(position, e.position());
            assertEquals(StoreFailure.CORRUPT_RECORD, StoreFailure.of(e));
            assertEquals(position, StoreFailure.corruptPosition(e));
            assertEquals(5, f.store.readEvent("a", 5).version());
            assertEquals(10, f.append("a", 9, event(UUID.randomUUID(), 10)).firstVersion());
            assertEquals(1, f.log.integrity().corruptRecords(), "read again: still one");
        }
    }

    @Test
    void shouldSkipADamagedGroupCommitAtLoad(@TempDir Path dir) throws Exception {
        long position;
        int length;
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.store.commitGroup("g", "s", 1).toCompletableFuture().join();
            f.store.commitGroup("g", "s", 2).toCompletableFuture().join();
            f.store.commitGroup("h", "s", 7).toCompletableFuture().join();
            position = f.store.readEvent(EventStore.GROUPS_STREAM, 1).position();
            length = recordLength(f, EventStore.GROUPS_STREAM, 1);
        }
        flipLastByte(dir, position, length);
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(1, f.store.groupVersion("g", "s").getAsLong(), "falls back to the commit before (at-least-once)");
            assertEquals(7, f.store.groupVersion("h", "s").getAsLong());
            assertEquals(1, f.log.integrity().corruptRecords());
        }
    }

    @Test
    void shouldFailARepeatCheckThatMustReadADamagedRecord(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            UUID id = UUID.randomUUID();
            f.append("d", ExpectedVersion.ANY, event(id, 0));
            long position = f.store.readEvent("d", 0).position();
            int length = recordLength(f, "d", 0);
            f.log.awaitFlush(f.log.committedPosition()).toCompletableFuture().join();
            flipLastByte(dir, position, length);
            List<Throwable> failures = new ArrayList<>();
            try { // a re-send: its repeat check reads the original (on this thread, or in the stage)
                f.store.append("d", List.of(event(id, 0)), ExpectedVersion.ANY, null).toCompletableFuture().get();
            } catch (java.util.concurrent.ExecutionException e) {
                failures.add(e.getCause());
            } catch (RuntimeException e) {
                failures.add(e);
            }
            assertEquals(1, failures.size(), "the repeat check cannot trust the damaged record");
            assertEquals(StoreFailure.CORRUPT_RECORD, StoreFailure.of(failures.get(0)), failures.get(0).toString());
            assertEquals(position, StoreFailure.corruptPosition(failures.get(0)));
        }
    }
}
