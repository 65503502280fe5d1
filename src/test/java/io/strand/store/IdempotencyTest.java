package io.strand.store;

import io.strand.log.Durability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Re-sent batches return the original result and write nothing; near-repeats are refused. */
class IdempotencyTest {

    @Test
    void shouldAnswerARepeatedBatchWithTheOriginalResultAndWriteNothing(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("pre", ExpectedVersion.ANY, event(100));
            AppendOutcome first = f.append("s", ExpectedVersion.NO_STREAM, event(0), event(1), event(2));
            long end = f.log.committedPosition();

            AppendOutcome again = f.append("s", ExpectedVersion.NO_STREAM, event(0), event(1), event(2));
            assertTrue(again.duplicate());
            assertEquals(first.firstVersion(), again.firstVersion());
            assertEquals(first.lastVersion(), again.lastVersion());
            assertEquals(first.position(), again.position());
            assertEquals(end, f.log.committedPosition(), "a repeat writes nothing");

            AppendOutcome middle = f.append("s", ExpectedVersion.ANY, event(1));
            assertTrue(middle.duplicate());
            assertEquals(1, middle.firstVersion());
            assertEquals(1, middle.lastVersion());
            assertEquals(2, f.store.streamInfo("s").lastVersion());

            // The same id in another stream is another event.
            AppendOutcome elsewhere = f.append("t", ExpectedVersion.ANY, event(0));
            assertFalse(elsewhere.duplicate());
        }
    }

    @Test
    void aBatchOfServerMadeIdsSentAgainIsRecognisedByItsFirstId(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 300; i++) { // past the stream's first versions: ids go through the dedup index
                f.append("s", ExpectedVersion.ANY, event(1_000 + i));
            }
            List<NewEvent> batch = java.util.stream.IntStream.range(0, 50).mapToObj(StoreFixture::event).toList();
            AppendOutcome first = f.store.write("s", batch, ExpectedVersion.ANY, null, null, true).toCompletableFuture().get();
            long end = f.log.committedPosition();
            AppendOutcome again = f.store.write("s", batch, ExpectedVersion.ANY, null, null, true).toCompletableFuture().get();
            assertTrue(again.duplicate(), "the same command applied again is a repeat");
            assertEquals(first.position(), again.position());
            assertEquals(first.lastVersion(), again.lastVersion());
            assertEquals(end, f.log.committedPosition(), "a repeat writes nothing");
            List<NewEvent> next = java.util.stream.IntStream.range(50, 100).mapToObj(StoreFixture::event).toList();
            AppendOutcome fresh = f.store.write("s", next, ExpectedVersion.ANY, null, null, true).toCompletableFuture().get();
            assertFalse(fresh.duplicate());
            assertEquals(first.lastVersion() + 1, fresh.firstVersion());
        }
    }

    @Test
    void shouldRefuseBatchesThatAreNotExactRepeats(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("s", ExpectedVersion.ANY, event(0), event(1), event(2));
            long end = f.log.committedPosition();
            assertThrows(IdempotencyConflictException.class, () -> f.append("s", ExpectedVersion.ANY, event(2), event(3)),
                    "old and new ids mixed");
            assertThrows(IdempotencyConflictException.class, () -> f.append("s", ExpectedVersion.ANY, event(1), event(0)),
                    "another order");
            NewEvent changed = new NewEvent(event(1).id(), event(1).type(), "{\"other\":true}".getBytes(StandardCharsets.UTF_8),
                    event(1).metadata(), false);
            assertThrows(IdempotencyConflictException.class, () -> f.append("s", ExpectedVersion.ANY, changed),
                    "same id, other content");
            NewEvent otherType = new NewEvent(event(1).id(), "Else", event(1).data(), event(1).metadata(), false);
            assertThrows(IdempotencyConflictException.class, () -> f.append("s", ExpectedVersion.ANY, otherType));
            assertEquals(end, f.log.committedPosition(), "refusals write nothing");
            assertEquals(2, f.store.streamInfo("s").lastVersion());
        }
    }

    @Test
    void shouldRecogniseRepeatsAfterACleanRestartAndAfterTheIndexIsRebuilt(@TempDir Path dir) throws Exception {
        AppendOutcome first;
        try (StoreFixture f = StoreFixture.open(dir)) {
            first = f.append("s", ExpectedVersion.ANY, event(0), event(1));
            for (int i = 10; i < 300; i++) {
                f.append("other-" + (i % 5), ExpectedVersion.ANY, event(i));
            }
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            AppendOutcome again = f.append("s", ExpectedVersion.ANY, event(0), event(1));
            assertTrue(again.duplicate());
            assertEquals(first.position(), again.position());
            assertThrows(IdempotencyConflictException.class, () -> f.append("s", ExpectedVersion.ANY, event(1), event(7)));
        }
        StoreFixture.deleteIndex(dir);
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertTrue(f.store.index().rebuiltEntries() > 0);
            AppendOutcome again = f.append("s", ExpectedVersion.ANY, event(0), event(1));
            assertTrue(again.duplicate());
            assertEquals(first.firstVersion(), again.firstVersion());
            assertEquals(1, f.store.streamInfo("s").lastVersion());
        }
    }

    @Test
    void shouldWriteARepeatSentConcurrentlyExactlyOnce(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int round = 0; round < 50; round++) {
                List<NewEvent> batch = StoreFixture.events(round * 10L, 3);
                ConcurrentLinkedQueue<AppendOutcome> outcomes = new ConcurrentLinkedQueue<>();
                io.strand.log.Concurrently.run(8, t -> outcomes.add(
                        f.store.append("c", batch, ExpectedVersion.ANY, t % 2 == 0 ? null : Durability.FLUSHED)
                                .toCompletableFuture().join()));
                assertEquals(8, outcomes.size());
                assertEquals(1, outcomes.stream().filter(o -> !o.duplicate()).count(), "exactly one send writes");
                assertEquals(1, outcomes.stream().map(AppendOutcome::position).distinct().count());
                assertEquals(round * 3L + 2, f.store.streamInfo("c").lastVersion());
            }
        }
    }

    @Test
    void shouldRecogniseRepeatsDeepInALongStreamAcrossARestart(@TempDir Path dir) throws Exception {
        AppendOutcome deep;
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 300; i++) {
                f.append("long", ExpectedVersion.ANY, event(i)); // versions past SCAN_VERSIONS use the dedup index
            }
            deep = f.append("long", ExpectedVersion.ANY, event(1000), event(1001));
            assertTrue(f.append("long", ExpectedVersion.ANY, event(1000), event(1001)).duplicate());
            assertTrue(f.append("long", ExpectedVersion.ANY, event(200)).duplicate());
            assertTrue(f.store.index().dedup().size() >= 300 - io.strand.index.StreamIndex.SCAN_VERSIONS);
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            AppendOutcome again = f.append("long", ExpectedVersion.ANY, event(1000), event(1001));
            assertTrue(again.duplicate());
            assertEquals(deep.firstVersion(), again.firstVersion());
            assertEquals(300, again.firstVersion());
            assertTrue(f.append("long", ExpectedVersion.ANY, event(7)).duplicate(), "an early version, found by scanning");
            assertThrows(IdempotencyConflictException.class, () -> f.append("long", ExpectedVersion.ANY, event(150), event(2000)));
        }
    }

    @Test
    void shouldForgetIdsPastAStreamsFirstVersionsOnlyAfterTheWindow(@TempDir Path dir) throws Exception {
        StoreConfig shortWindow = new StoreConfig(Duration.ofMillis(300), 1000);
        try (StoreFixture f = StoreFixture.open(StoreFixture.logConfig(dir), shortWindow)) {
            for (int i = 0; i < io.strand.index.StreamIndex.SCAN_VERSIONS; i++) {
                f.append("w", ExpectedVersion.ANY, event(i));
            }
            f.append("w", ExpectedVersion.ANY, event(1000));
            assertTrue(f.append("w", ExpectedVersion.ANY, event(1000)).duplicate(), "inside the window");
            Thread.sleep(700); // more than twice the window
            f.append("w", ExpectedVersion.ANY, event(1001)); // an insert is what retires old generations
            AppendOutcome late = f.append("w", ExpectedVersion.ANY, event(1000));
            assertFalse(late.duplicate(), "past the window the id is forgotten, so memory stays bounded");
            assertEquals(io.strand.index.StreamIndex.SCAN_VERSIONS + 2, late.firstVersion());
            assertTrue(f.append("w", ExpectedVersion.ANY, event(3)).duplicate(), "a stream's first versions are always found");
        }
    }

    @Test
    void shouldRecogniseRecentRepeatsOfLongStreamsWhenTheDedupIndexIsAtItsBound(@TempDir Path dir) throws Exception {
        int max = 200;
        StoreConfig bounded = new StoreConfig(Duration.ofMinutes(10), 1000, max);
        try (StoreFixture f = StoreFixture.open(StoreFixture.logConfig(dir), bounded)) {
            int scan = io.strand.index.StreamIndex.SCAN_VERSIONS;
            for (int i = 0; i < 1000; i++) { // two streams well past their first 64 versions
                f.append("a", ExpectedVersion.ANY, event(i));
                f.append("b", ExpectedVersion.ANY, event(10_000 + i));
            }
            AppendOutcome batchA = f.append("a", ExpectedVersion.ANY, event(5000), event(5001), event(5002));
            AppendOutcome batchB = f.append("b", ExpectedVersion.ANY, event(15000), event(15001));
            var dedup = f.store.index().dedup();
            assertTrue(dedup.size() <= max, "dedup holds " + dedup.size());
            assertTrue(dedup.droppedEarly() > 0);
            assertEquals(2 * (1000 - scan) + 5 - dedup.size(), dedup.droppedEarly());

            long end = f.log.committedPosition();
            AppendOutcome againA = f.append("a", ExpectedVersion.ANY, event(5000), event(5001), event(5002));
            assertTrue(againA.duplicate(), "a re-sent recent batch is recognised");
            assertEquals(batchA.firstVersion(), againA.firstVersion());
            assertEquals(batchA.position(), againA.position());
            AppendOutcome againB = f.append("b", ExpectedVersion.ANY, event(15000), event(15001));
            assertTrue(againB.duplicate());
            assertEquals(batchB.position(), againB.position());
            for (int i = 960; i < 1000; i++) { // the newest single events of both streams
                assertTrue(f.append("a", ExpectedVersion.ANY, event(i)).duplicate(), "a " + i);
                assertTrue(f.append("b", ExpectedVersion.ANY, event(10_000 + i)).duplicate(), "b " + i);
            }
            assertTrue(f.append("a", ExpectedVersion.ANY, event(3)).duplicate(), "first versions are found by scanning");
            assertEquals(end, f.log.committedPosition(), "no repeat wrote anything");

            // An id dropped early is no longer known: the window shortened (and memory stayed bounded).
            AppendOutcome old = f.append("a", ExpectedVersion.ANY, event(100));
            assertFalse(old.duplicate());
            assertEquals(1003, old.firstVersion());
        }
    }
}
