package io.strand.store;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.strand.store.StoreFixture.assertEvent;
import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Soft delete, tombstone and settings on a real store: reopen, retention, races, subscriptions, maxAge. */
class StreamLifecycleTest {
    private static final String CUSTOM = "{\"owner\":\"billing\",\"n\":[1,2]}";

    /** Waits for a stage; rethrows its failure's cause. */
    static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void change(StoreFixture f, String stream, StreamChange change, long expected) {
        await(f.store.changeStream(stream, change, expected));
    }

    private static void appendN(StoreFixture f, String stream, long from, int n) {
        for (int i = 0; i < n; i++) {
            f.append(stream, ExpectedVersion.ANY, event(from + i));
        }
    }

    private static StreamMetadata capped(long maxCount) {
        return StreamMetadata.settings(maxCount, null, null, CUSTOM);
    }

    /** soft: 5 events, deleted; hard: 3 events, tombstoned; meta: 10 events, maxCount 3 and custom. */
    private static void assertLifecycle(StoreFixture f) {
        assertThrows(StreamDeletedException.class, () -> f.store.readStream("soft", -1, 10, Direction.FORWARD));
        assertThrows(StreamDeletedException.class, () -> f.store.readEvent("soft", 4));
        assertThrows(StreamDeletedException.class, () -> f.store.streamInfo("soft"));
        assertThrows(StreamDeletedException.class, () -> f.store.checkReadable("soft"));
        StreamMetadataView soft = f.store.metadata("soft");
        assertEquals(5, soft.metadata().deletedBefore(), "the delete's mark: the version after the last it hid");
        assertNull(soft.info(), "a deleted stream shows no versions");

        assertThrows(StreamTombstonedException.class, () -> f.store.readEvent("hard", 0));
        assertThrows(StreamTombstonedException.class, () -> f.store.readStream("hard", -1, 10, Direction.BACKWARD));
        assertThrows(StreamTombstonedException.class, () -> f.store.streamInfo("hard"));
        assertThrows(StreamTombstonedException.class, () -> f.store.metadata("hard"));
        assertThrows(StreamTombstonedException.class, () -> f.append("hard", ExpectedVersion.ANY, event(500)));
        assertThrows(StreamTombstonedException.class, () -> f.append("hard", 2, event(501)));
        assertThrows(StreamTombstonedException.class, () -> change(f, "hard", StreamChange.delete(), ExpectedVersion.ANY));
        assertThrows(StreamTombstonedException.class, () -> change(f, "hard", StreamChange.set(capped(1)), ExpectedVersion.ANY));

        assertEquals(new StreamInfo("meta", 7, 9), f.store.streamInfo("meta"), "maxCount 3 of 10 events");
        ReadPage page = f.store.readStream("meta", -1, 100, Direction.FORWARD);
        assertEquals(List.of(7L, 8L, 9L), page.events().stream().map(RecordedEvent::version).toList());
        assertEvent(event(107), page.events().get(0));
        assertThrows(StreamNotFoundException.class, () -> f.store.readEvent("meta", 6), "hidden is not found, not gone");
        StreamMetadataView meta = f.store.metadata("meta");
        assertEquals(3L, meta.metadata().maxCount());
        assertEquals(CUSTOM, meta.metadata().custom());
        assertNull(meta.metadata().maxAge());
        assertFalse(meta.metadata().tombstoned());
        assertEquals(new StreamInfo("meta", 7, 9), meta.info());

        List<String> listed = f.store.listStreams(0, 100).streams().stream().map(StreamInfo::name).toList();
        assertFalse(listed.contains("soft"), "deleted streams leave the list: " + listed);
        assertFalse(listed.contains("hard"), "tombstoned streams leave the list: " + listed);
        assertTrue(listed.contains("meta"), listed.toString());
    }

    @Test
    void deleteTombstoneAndMetadataSurviveAReopen(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            appendN(f, "soft", 0, 5);
            appendN(f, "hard", 50, 3);
            appendN(f, "meta", 100, 10);
            assertThrows(WrongExpectedVersionException.class, () -> change(f, "soft", StreamChange.delete(), 3));
            change(f, "soft", StreamChange.delete(), 4);
            change(f, "hard", StreamChange.tombstone(), ExpectedVersion.ANY);
            change(f, "meta", StreamChange.set(capped(3)), ExpectedVersion.ANY);
            assertLifecycle(f);
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertLifecycle(f);
            // The append after the delete has no stream to expect and continues the versions.
            assertThrows(WrongExpectedVersionException.class, () -> f.append("soft", ExpectedVersion.EXISTS, event(5)));
            AppendOutcome next = f.append("soft", ExpectedVersion.NO_STREAM, event(5));
            assertEquals(5, next.firstVersion(), "versions continue after the delete and a restart");
            assertEquals(new StreamInfo("soft", 5, 5), f.store.streamInfo("soft"));
            assertThrows(StreamNotFoundException.class, () -> f.store.readEvent("soft", 4));
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(new StreamInfo("soft", 5, 5), f.store.streamInfo("soft"), "the revived stream after a reopen");
            assertEvent(event(5), f.store.readStream("soft", 0, 10, Direction.FORWARD).events().get(0));
            assertEquals(6, f.append("soft", 5, event(6)).firstVersion());
            assertThrows(StreamTombstonedException.class, () -> f.store.readEvent("hard", 0));
            assertEquals(new StreamInfo("meta", 7, 9), f.store.streamInfo("meta"));
        }
    }

    @Test
    void metadataWhoseEventRetentionDeletesIsCarriedForward(@TempDir Path dir) throws Exception {
        List<Long> metaPositions = new ArrayList<>();
        try (StoreFixture f = StoreFixture.open(dir)) {
            appendN(f, "soft", 0, 5);
            appendN(f, "hard", 50, 3);
            appendN(f, "meta", 100, 10); // versions 0..9, in the first segment
            change(f, "soft", StreamChange.delete(), ExpectedVersion.ANY);
            change(f, "hard", StreamChange.tombstone(), ExpectedVersion.ANY);
            change(f, "meta", StreamChange.set(capped(3)), ExpectedVersion.ANY);
            for (RecordedEvent e : f.store.readStream(StreamLifecycle.STREAM, 0, 10, Direction.FORWARD).events()) {
                metaPositions.add(e.position());
            }
            assertEquals(3, metaPositions.size());
            for (int i = 0; i < 6000; i++) { // ~2 MB over 256 KiB segments
                f.append("filler" + (i % 4), ExpectedVersion.ANY, event(1000 + i));
            }
            appendN(f, "meta", 110, 10); // versions 10..19, in the last segment
            awaitFlushed(f);
            assertTrue(f.store.applyRetention(0, 256 * 1024) > 0);
            for (long p : metaPositions) {
                assertTrue(p < f.log.firstPosition(), "the original $meta events are deleted: " + p);
            }
            assertRetained(f, "after retention");
        }
        for (boolean rebuild : new boolean[]{false, true}) {
            if (rebuild) {
                StoreFixture.deleteIndex(dir); // from the log alone
            }
            try (StoreFixture f = StoreFixture.open(dir)) {
                assertRetained(f, rebuild ? "index rebuilt" : "after a reopen");
            }
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            // None of its events is held any more, yet the stream goes on after its delete's mark.
            assertEquals(5, f.append("soft", ExpectedVersion.NO_STREAM, event(5)).firstVersion());
            assertEquals(new StreamInfo("soft", 5, 5), f.store.streamInfo("soft"));
        }
    }

    private static void assertRetained(StoreFixture f, String phase) {
        assertThrows(StreamTombstonedException.class, () -> f.store.readEvent("hard", 0));
        assertThrows(StreamTombstonedException.class, () -> f.append("hard", ExpectedVersion.ANY, event(9)));
        assertThrows(StreamDeletedException.class, () -> f.store.streamInfo("soft"), phase);
        assertEquals(new StreamInfo("meta", 17, 19), f.store.streamInfo("meta"), "maxCount still hides all but 3");
        assertEquals(17, f.store.readStream("meta", -1, 10, Direction.FORWARD).events().get(0).version());
        assertEquals(CUSTOM, f.store.metadata("meta").metadata().custom());
    }

    @Test
    void aDeleteWithAnyRacingAppendsIsOnePointAmongThem(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("race", ExpectedVersion.ANY, event(0));
            AtomicLong clock = new AtomicLong(); // orders acknowledgements against the delete's
            AtomicLong deleteAcked = new AtomicLong(Long.MAX_VALUE);
            AtomicLong deleteMade = new AtomicLong(Long.MAX_VALUE);
            Set<Long> ackedBefore = ConcurrentHashMap.newKeySet(); // acknowledged before the delete was made
            Set<Long> madeAfter = ConcurrentHashMap.newKeySet(); // made after the delete was acknowledged
            AtomicLong appended = new AtomicLong(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(4);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int base = 10_000 * (t + 1);
                threads.add(new Thread(() -> {
                    try {
                        // 400 each, and on until some were made after the delete's acknowledgement
                        for (int i = 0; i < 400 || (madeAfter.size() < 20 && i < 50_000); i++) {
                            long made = clock.incrementAndGet();
                            AppendOutcome o = f.append("race", ExpectedVersion.ANY, event(base + i));
                            long acked = clock.incrementAndGet();
                            appended.incrementAndGet();
                            if (made > deleteAcked.get()) {
                                madeAfter.add(o.firstVersion());
                            } else if (acked < deleteMade.get()) {
                                ackedBefore.add(o.firstVersion());
                            }
                            if (i == 50) {
                                started.countDown();
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            assertTrue(started.await(30, TimeUnit.SECONDS));
            deleteMade.set(clock.incrementAndGet());
            change(f, "race", StreamChange.delete(), ExpectedVersion.ANY);
            deleteAcked.set(clock.incrementAndGet());
            for (Thread t : threads) {
                t.join(60_000);
            }
            assertNull(failure.get());
            long mark = f.store.metadata("race").metadata().deletedBefore();
            long last = f.store.streamInfo("race").lastVersion();
            assertEquals(appended.get() - 1, last, "every append got a version");
            assertTrue(mark > 200 && mark <= last + 1, "the mark lies among the appends: " + mark);
            assertFalse(ackedBefore.isEmpty());
            assertFalse(madeAfter.isEmpty(), "the appenders went on after the delete");
            for (long v : ackedBefore) {
                assertTrue(v < mark, "acknowledged before the delete was made, yet visible: " + v + ", mark " + mark);
            }
            for (long v : madeAfter) {
                assertTrue(v >= mark, "made after the delete was acknowledged, yet hidden: " + v + ", mark " + mark);
            }
            for (long v = 0; v < mark; v++) {
                long hidden = v;
                assertThrows(StreamNotFoundException.class, () -> f.store.readEvent("race", hidden));
            }
            for (long v = mark; v <= last; v++) {
                assertEquals(v, f.store.readEvent("race", v).version());
            }
            assertEquals(new StreamInfo("race", mark, last), f.store.streamInfo("race"));
            assertEquals(mark, f.store.readStream("race", -1, 10, Direction.FORWARD).events().get(0).version());
        }
    }

    @Test
    void aDeleteExpectingAVersionRacingAppendsHappensThereOrNamesACommittedVersion(@TempDir Path dir) throws Exception {
        int succeeded = 0;
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int round = 0; round < 5; round++) {
                String stream = "expect-" + round;
                f.append(stream, ExpectedVersion.ANY, event(100_000L * (round + 1)));
                AtomicReference<Throwable> failure = new AtomicReference<>();
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    long base = 100_000L * (round + 1) + 1000L * (t + 1); // distinct ids: no repeats
                    threads.add(new Thread(() -> {
                        try {
                            for (int i = 0; i < 300; i++) {
                                f.append(stream, ExpectedVersion.ANY, event(base + i));
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }));
                }
                threads.forEach(Thread::start);
                long deletedAt = -1;
                while (deletedAt < 0) {
                    boolean finished = threads.stream().noneMatch(Thread::isAlive);
                    long expected = f.store.streamInfo(stream).lastVersion();
                    try {
                        change(f, stream, StreamChange.delete(), expected);
                        deletedAt = expected;
                        succeeded++;
                    } catch (WrongExpectedVersionException e) {
                        assertEquals(expected, e.expected());
                        assertTrue(e.current() > expected, "the stream moved past " + expected + ": " + e.current());
                        // A committed version: it reads back (the stream is not deleted yet).
                        assertEquals(e.current(), f.store.readEvent(stream, e.current()).version());
                        assertFalse(finished, "nothing appends any more, yet refused: " + e.getMessage());
                    }
                }
                for (Thread t : threads) {
                    t.join(60_000);
                }
                assertNull(failure.get());
                assertEquals(deletedAt + 1, f.store.metadata(stream).metadata().deletedBefore(),
                        "deleted at exactly the expected version");
                long deleted = deletedAt;
                long last = f.store.index().lastVersion(f.store.index().catalog().get(stream));
                assertEquals(900, last, "round " + round + ", deleted at " + deletedAt);
                if (deletedAt < last) {
                    assertThrows(StreamNotFoundException.class, () -> f.store.readEvent(stream, deleted));
                    assertEquals(new StreamInfo(stream, deletedAt + 1, last), f.store.streamInfo(stream));
                } else { // deleted after the last append: nothing is left to see
                    assertThrows(StreamDeletedException.class, () -> f.store.readEvent(stream, deleted));
                    assertThrows(StreamDeletedException.class, () -> f.store.streamInfo(stream));
                }
            }
        }
        assertEquals(5, succeeded); // how many attempts lost a race (refused) is up to the scheduler
    }

    @Test
    void subscriptionsStartAtTheFirstVisibleVersionAndEndAtATombstone(@TempDir Path dir) throws Exception {
        ExecutorService readers = Executors.newSingleThreadExecutor();
        try (StoreFixture f = StoreFixture.open(dir)) {
            appendN(f, "capped", 0, 10);
            change(f, "capped", StreamChange.set(capped(4)), ExpectedVersion.ANY);
            AssertSubscriber<RecordedEvent> fromZero = f.store.subscribeStream("capped", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(100));
            fromZero.awaitItems(4, Duration.ofSeconds(10));
            assertEquals(List.of(6L, 7L, 8L, 9L), fromZero.getItems().stream().map(RecordedEvent::version).toList());
            fromZero.cancel();

            appendN(f, "revived", 20, 6);
            change(f, "revived", StreamChange.delete(), 5);
            f.append("revived", ExpectedVersion.NO_STREAM, event(26));
            AssertSubscriber<RecordedEvent> revived = f.store.subscribeStream("revived", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(100));
            revived.awaitItems(1, Duration.ofSeconds(10));
            assertEquals(6, revived.getItems().get(0).version(), "from the delete's mark");
            revived.cancel();

            appendN(f, "doomed", 40, 3);
            AssertSubscriber<RecordedEvent> live = f.store.subscribeStream("doomed", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(100));
            live.awaitItems(3, Duration.ofSeconds(10));
            change(f, "doomed", StreamChange.tombstone(), ExpectedVersion.ANY);
            live.awaitFailure(Duration.ofSeconds(10));
            assertInstanceOf(StreamTombstonedException.class, live.getFailure());
            assertEquals(3, live.getItems().size());

            AssertSubscriber<RecordedEvent> late = f.store.subscribeStream("doomed", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(100));
            late.awaitFailure(Duration.ofSeconds(10));
            assertInstanceOf(StreamTombstonedException.class, late.getFailure(), "a tombstoned stream has nothing to follow");
            assertTrue(late.getItems().isEmpty());
        } finally {
            readers.shutdownNow();
        }
    }

    @Test
    void maxAgeHidesOldEventsFromReadsInfoAndTimes(@TempDir Path dir) throws Exception {
        long hourAgo = System.currentTimeMillis() - 3_600_000;
        ExecutorService readers = Executors.newSingleThreadExecutor();
        try (StoreFixture f = StoreFixture.open(dir)) {
            // Old events written as a replica writes them: with the entry's (an hour old) timestamp.
            for (int i = 0; i < 5; i++) {
                await(f.store.replica().applyReplicated("aged", List.of(event(i)), ExpectedVersion.ANY, false, hourAgo + i, i + 1));
            }
            appendN(f, "aged", 5, 3);
            assertEquals(0, f.store.versionAt("aged", 0), "before maxAge, every version is visible");
            change(f, "aged", StreamChange.set(StreamMetadata.settings(null, 600L, null, null)), ExpectedVersion.ANY);

            assertEquals(new StreamInfo("aged", 5, 7), f.store.streamInfo("aged"), "events older than 10 minutes are hidden");
            assertEquals(new StreamInfo("aged", 5, 7), f.store.metadata("aged").info());
            assertEquals(5, f.store.readStream("aged", -1, 10, Direction.FORWARD).events().get(0).version());
            assertEquals(3, f.store.readStream("aged", 0, 10, Direction.FORWARD).events().size());
            List<RecordedEvent> back = f.store.readStream("aged", -1, 10, Direction.BACKWARD).events();
            assertEquals(List.of(7L, 6L, 5L), back.stream().map(RecordedEvent::version).toList());
            for (long v = 0; v < 5; v++) {
                long hidden = v;
                assertThrows(StreamNotFoundException.class, () -> f.store.readEvent("aged", hidden));
            }
            assertEvent(event(5), f.store.readEvent("aged", 5));
            for (long t : new long[]{0, hourAgo - 1, hourAgo, hourAgo + 3, hourAgo + 60_000}) {
                assertEquals(5, f.store.versionAt("aged", t), "fromTime " + t + " never lands on a hidden version");
            }
            assertEquals(8, f.store.versionAt("aged", System.currentTimeMillis() + 60_000), "after the last: last + 1");

            AssertSubscriber<RecordedEvent> sub = f.store.subscribeStream("aged", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(100));
            sub.awaitItems(3, Duration.ofSeconds(10));
            assertEquals(5, sub.getItems().get(0).version(), "a subscription starts past what maxAge hides");
            sub.cancel();
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(new StreamInfo("aged", 5, 7), f.store.streamInfo("aged"), "and after a reopen");
            assertEquals(5, f.store.versionAt("aged", 0));
        } finally {
            readers.shutdownNow();
        }
    }

    private static void awaitFlushed(StoreFixture f) throws InterruptedException { // retention keeps what is not flushed
        for (long target = f.log.committedPosition(), end = System.nanoTime() + 30_000_000_000L;
             f.log.flushedPosition() < target && System.nanoTime() < end; ) {
            Thread.sleep(5);
        }
    }
}
