package io.strand.store;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.strand.store.StoreFixture.assertEvent;
import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retention deletes whole oldest segments, never under a reader; reads below answer "gone". */
class RetentionTest {
    private static final int EVENTS = 4000; // ~1.4 MB over 256 KiB segments

    @Test
    void shouldDeleteOldSegmentsAndAnswerGoneBelowTheFirstPosition(@TempDir Path dir) throws Exception {
        ExecutorService readers = Executors.newSingleThreadExecutor();
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < EVENTS; i++) {
                f.append("r" + (i % 4), ExpectedVersion.ANY, event(i));
            }
            f.store.commitGroup("g", "r1", 7).toCompletableFuture().join(); // lands in an early segment
            for (int i = EVENTS; i < EVENTS + 2000; i++) {
                f.append("r" + (i % 4), ExpectedVersion.ANY, event(i));
            }
            int segmentsBefore = f.log.segmentCount();
            EventView held = f.store.readEventView("r0", 0); // a reader holding the oldest segment

            awaitFlushed(f);
            int deleted = f.store.applyRetention(0, 256 * 1024);
            assertTrue(deleted > 0, "segments beyond max-bytes go");
            assertEquals(segmentsBefore - deleted, f.log.segmentCount());
            long first = f.log.firstPosition();
            assertTrue(first > 0);
            try (var files = Files.list(dir.resolve("commitlog"))) {
                assertEquals(f.log.segmentCount() + 1 /* the pre-allocated next one */, files.count(),
                        "deleted segment files are unlinked at once");
            }
            assertEvent(event(0), held.copy()); // the held mapping is still valid
            held.close();

            long firstVersion = f.store.streamInfo("r0").firstVersion();
            assertTrue(firstVersion > 0, "stream heads in deleted segments are gone");
            PositionGoneException gone = assertThrows(PositionGoneException.class, () -> f.store.readEvent("r0", 0));
            assertEquals(firstVersion, gone.first());
            assertThrows(PositionGoneException.class, () -> f.store.readStream("r0", 0, 10, Direction.FORWARD));
            ReadPage fromStart = f.store.readStream("r0", -1, 10, Direction.FORWARD);
            assertEquals(firstVersion, fromStart.events().get(0).version(), "omitted from: the first retained event");
            assertEquals(first, f.store.readAll(0, 1).events().get(0).position(), "$all from 0 starts at the first retained");
            assertThrows(PositionGoneException.class, () -> f.store.readAll(8, 1));

            AssertSubscriber<RecordedEvent> sub = f.store.subscribeStream("r0", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(1));
            sub.awaitItems(1, Duration.ofSeconds(10));
            assertEquals(firstVersion, sub.getItems().get(0).version(), "a subscription from 0 starts at what is held");
            sub.cancel();
            assertEquals(7, f.store.groupVersion("g", "r1").orElseThrow(), "group positions are carried forward");
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            long firstVersion = f.store.streamInfo("r0").firstVersion();
            assertTrue(firstVersion > 0);
            assertEquals((EVENTS + 2000) / 4 - 1, f.store.streamInfo("r0").lastVersion());
            AppendOutcome next = f.append("r0", (EVENTS + 2000) / 4 - 1, event(99_999));
            assertEquals((EVENTS + 2000) / 4, next.firstVersion(), "versions continue after a restart");
            assertEquals(7, f.store.groupVersion("g", "r1").orElseThrow(), "group positions survive retention and restart");
            assertFalse(f.store.index().rebuiltEntries() > 0, "the index files were complete");
        }
        // Without index files the index is rebuilt from what the log still holds, versions intact.
        try (var files = Files.list(dir.resolve("index"))) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertTrue(f.store.index().rebuiltEntries() > 0);
            assertEquals((EVENTS + 2000) / 4, f.store.streamInfo("r0").lastVersion());
            long firstVersion = f.store.streamInfo("r0").firstVersion();
            assertEvent(event((firstVersion) * 4), f.store.readEvent("r0", firstVersion));
        } finally {
            readers.shutdownNow();
        }
    }

    @Test
    void shouldDeleteByAgeButNeverTheSegmentBeingWritten(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 3000; i++) {
                f.append("a", ExpectedVersion.ANY, event(i));
            }
            Thread.sleep(50);
            f.append("a", ExpectedVersion.ANY, event(5000));
            awaitFlushed(f); // retention never deletes what is not flushed yet
            assertEquals(0, f.store.applyRetention(3_600_000, 0), "nothing is an hour old");
            int deleted = f.store.applyRetention(20, 0);
            assertTrue(deleted > 0, "segments whose events are all older than 20 ms go");
            assertEquals(1, f.log.segmentCount(), "all but the segment being written");
            assertEvent(event(5000), f.store.readEvent("a", 3000));
        }
    }

    private static void awaitFlushed(StoreFixture f) throws InterruptedException {
        long target = f.log.committedPosition();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (f.log.flushedPosition() < target && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }
}
