package io.strand.store;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.strand.index.StreamEntry;
import io.strand.log.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import static io.strand.store.StoreFixture.assertEvent;
import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
        StoreFixture.deleteIndex(dir);
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

    @Test
    void shouldDropTheVersionsOfDeletedSegmentsFromMemory(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("early", ExpectedVersion.ANY, event(77_777)); // only in the first segment
            for (int i = 0; i < EVENTS + 2000; i++) {
                f.append("m" + (i % 4), ExpectedVersion.ANY, event(i));
            }
            StreamEntry m0 = f.store.index().catalog().get("m0");
            StreamEntry early = f.store.index().catalog().get("early");
            assertEquals((EVENTS + 2000) / 4, m0.heldVersions());
            assertEquals(1, early.heldVersions());

            awaitFlushed(f);
            assertTrue(f.store.applyRetention(0, 256 * 1024) > 0);
            long firstVersion = f.store.streamInfo("m0").firstVersion();
            long lastVersion = f.store.streamInfo("m0").lastVersion();
            assertTrue(firstVersion > 0);
            assertEquals(firstVersion, m0.base(), "the held versions start at the first retained one");
            assertEquals(lastVersion - firstVersion + 1, m0.heldVersions(), "the versions of deleted segments are dropped");
            assertTrue(m0.position(firstVersion) >= f.log.firstPosition());
            assertEquals(0, early.heldVersions(), "an emptied stream holds nothing");
            assertEquals(1, early.assigned(), "and keeps its next version");
            assertThrows(PositionGoneException.class, () -> f.store.readEvent("m0", 0));
            assertThrows(PositionGoneException.class, () -> f.store.readEvent("m0", firstVersion - 1));
            for (long v = firstVersion; v <= lastVersion; v++) {
                assertEvent(event(v * 4), f.store.readEvent("m0", v));
            }
            ReadPage back = f.store.readStream("m0", -1, 10, Direction.BACKWARD);
            assertEquals(lastVersion, back.events().get(0).version());

            AppendOutcome next = f.append("m0", lastVersion, event(99_999));
            assertEquals(lastVersion + 1, next.firstVersion(), "appends continue at the right version");
            assertEvent(event(99_999), f.store.readEvent("m0", lastVersion + 1));
            AppendOutcome again = f.append("early", 0, event(88_888));
            assertEquals(1, again.firstVersion(), "an emptied stream continues where it was");
            assertEquals(1, f.store.streamInfo("early").firstVersion());
            assertEvent(event(88_888), f.store.readEvent("early", 1));
            assertThrows(PositionGoneException.class, () -> f.store.readEvent("early", 0));
        }
    }

    /** A stream whose every event retention deleted goes on at its next version after a restart too (index/floors). */
    @Test
    void anEmptiedStreamKeepsItsNextVersionAcrossARestart(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 3; i++) {
                f.append("early", ExpectedVersion.ANY, event(70_000 + i)); // only in the first segment
            }
            for (int i = 0; i < EVENTS + 2000; i++) {
                f.append("m" + (i % 4), ExpectedVersion.ANY, event(i));
            }
            awaitFlushed(f);
            assertTrue(f.store.applyRetention(0, 256 * 1024) > 0);
            assertEquals(0, f.store.index().catalog().get("early").heldVersions());
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(3, f.store.index().catalog().get("early").assigned(), "its next version is remembered");
            assertThrows(PositionGoneException.class, () -> f.store.readEvent("early", 2));
            AppendOutcome again = f.append("early", 2, event(88_888));
            assertEquals(3, again.firstVersion(), "it continues where it was, not at 0");
            assertEvent(event(88_888), f.store.readEvent("early", 3));
            // Once it holds events again, those say where it is: a later restart agrees.
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(3, f.store.streamInfo("early").lastVersion());
            assertEquals(4, f.append("early", 3, event(99_999)).firstVersion());
        }
    }

    /**
     * A reader resolving random versions of a stream while it is appended to and retention trims it:
     * every position it gets is the one the append returned, or -1 (trimmed), never a torn pair.
     */
    @Test
    void shouldNeverGiveReadersAWrongPositionWhileTrimming(@TempDir Path dir) throws Exception {
        int total = 12_000;
        try (StoreFixture f = StoreFixture.open(dir)) {
            AtomicLongArray positions = new AtomicLongArray(total); // position + 1 once the append returned
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean done = new AtomicBoolean();
            Thread appender = new Thread(() -> {
                try {
                    for (int v = 0; v < total; v++) {
                        AppendOutcome o = f.append("c", v - 1, event(v));
                        positions.set(v, o.position() + 1);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.set(true);
                }
            });
            Thread retention = new Thread(() -> {
                try {
                    // Until the appends are done, and at least once after a trim (a busy machine may
                    // let the appender finish before this thread has run at all).
                    while (!done.get() || (f.log.firstPosition() == 0 && failure.get() == null)) {
                        f.store.applyRetention(0, 128 * 1024);
                        Thread.sleep(2);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            long[] counts = new long[2];
            Thread reader = new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                StreamEntry s = null;
                while (!done.get() && failure.get() == null) {
                    if (s == null) {
                        s = f.store.index().catalog().get("c");
                        continue;
                    }
                    int a = s.assigned();
                    if (a == 0) {
                        continue;
                    }
                    int v = r.nextInt(a);
                    long p = s.position(v);
                    counts[0]++;
                    long appended = positions.get(v) - 1;
                    if (p != -1 && appended >= 0) {
                        counts[1]++;
                        if (p != appended) {
                            failure.compareAndSet(null, new AssertionError("version " + v + " resolved to " + p
                                    + ", appended at " + appended));
                        }
                    }
                }
            });
            appender.start();
            retention.start();
            reader.start();
            appender.join();
            retention.join();
            reader.join();
            assertNull(failure.get(), () -> String.valueOf(failure.get()));
            assertTrue(counts[1] > 0, "the reader checked held versions: " + counts[0] + " reads");
            assertTrue(f.log.firstPosition() > 0, "retention ran");
            StreamEntry c = f.store.index().catalog().get("c");
            assertTrue(c.heldVersions() < total, "trimmed: " + c.heldVersions());
            long first = f.store.streamInfo("c").firstVersion();
            assertEquals(first, c.base());
            for (long v = first; v < total; v++) {
                assertEquals(positions.get((int) v) - 1, c.position(v));
            }
            assertEvent(event(total - 1), f.store.readEvent("c", total - 1));
        }
    }

    @Test
    void shouldDeleteTheIndexEntriesOfDeletedSegmentsAndLoadOnlyTheRetainedOnes(@TempDir Path dir) throws Exception {
        long retained;
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < EVENTS + 2000; i++) {
                f.append("r" + (i % 4), ExpectedVersion.ANY, event(i));
            }
            awaitIndexed(f);
            List<Long> before = entriesFiles(dir);
            assertEquals(segmentBases(dir, f.log.segmentCount()), before, "one entries file per segment holding events");
            awaitFlushed(f);
            assertTrue(f.store.applyRetention(0, 256 * 1024) > 0);
            long first = f.log.firstPosition();
            List<Long> after = entriesFiles(dir);
            assertEquals(first, after.get(0), "the entries files of deleted segments are gone");
            assertEquals(before.subList(before.indexOf(first), before.size()), after);
            retained = countEvents(f);
            // Round robin: the cut may fall between any two of r0..r3, so their heads differ by at most one.
            long r0Head = f.store.streamInfo("r0").firstVersion();
            long lost = 0;
            for (int s = 0; s < 4; s++) {
                long head = f.store.streamInfo("r" + s).firstVersion();
                assertTrue(head == r0Head || head == r0Head - 1, "r" + s + " lost " + head + ", r0 " + r0Head);
                lost += head;
            }
            assertTrue(r0Head > 0, "heads were deleted");
            assertEquals(EVENTS + 2000 - lost, retained, "r0..r3 lose exactly the heads the deleted segments held");
        }
        // As if retention had stopped between deleting the segments and their entries files.
        Files.write(StoreFixture.entriesFile(dir, 0), new byte[40 * 3]);
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertFalse(Files.exists(StoreFixture.entriesFile(dir, 0)), "entries of a deleted segment are deleted at open");
            assertEquals(retained, f.store.index().loadedEntries(), "a restart loads only the retained entries");
            assertEquals(0, f.store.index().rebuiltEntries());
            for (int s = 0; s < 4; s++) {
                StreamInfo info = f.store.streamInfo("r" + s);
                assertEquals((EVENTS + 2000) / 4 - 1, info.lastVersion());
                for (long v = info.firstVersion(); v <= info.lastVersion(); v++) {
                    assertEvent(event(v * 4 + s), f.store.readEvent("r" + s, v));
                }
                assertThrows(PositionGoneException.class, () -> f.store.readEvent("r0", 0));
            }
            AppendOutcome next = f.append("r1", (EVENTS + 2000) / 4 - 1, event(55_555));
            assertEquals((EVENTS + 2000) / 4, next.firstVersion());
        }
    }

    private static long countEvents(StoreFixture f) {
        long n = 0;
        ReadPage page = f.store.readAll(0, 500);
        while (true) {
            n += page.events().size();
            if (!page.hasNext()) {
                return n;
            }
            page = f.store.readAll(page.next(), 500);
        }
    }

    private static void awaitIndexed(StoreFixture f) throws InterruptedException {
        long target = f.log.committedPosition();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (f.store.index().indexedPosition() < target && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    private static List<Long> entriesFiles(Path dir) throws Exception {
        return bases(dir.resolve("index").resolve("entries"));
    }

    /** Bases of the segments that hold records (not the pre-allocated next one). */
    private static List<Long> segmentBases(Path dir, int count) throws Exception {
        return bases(dir.resolve("commitlog")).subList(0, count);
    }

    private static List<Long> bases(Path d) throws Exception {
        try (var files = Files.list(d)) {
            return files.map(p -> Segment.parseFileName(p.getFileName().toString())).filter(b -> b >= 0).sorted().toList();
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
