package io.strand.store;

import io.strand.log.Durability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.strand.store.StoreFixture.assertEvent;
import static io.strand.store.StoreFixture.event;
import static io.strand.store.StoreFixture.events;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Appends, expected versions, reads by stream and by position, the stream list, across restarts. */
class EventStoreTest {

    @Test
    void shouldAppendBatchesWithContiguousVersionsAndReadThemBack(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            AppendOutcome a = f.append("orders-1", ExpectedVersion.NO_STREAM, event(0), event(1), event(2));
            assertEquals(0, a.firstVersion());
            assertEquals(2, a.lastVersion());
            assertFalse(a.duplicate());
            AppendOutcome b = f.append("orders-1", 2, event(3));
            assertEquals(3, b.firstVersion());
            assertTrue(b.position() > a.position());

            RecordedEvent e1 = f.store.readEvent("orders-1", 1);
            assertEvent(event(1), e1);
            assertEquals("orders-1", e1.stream());
            assertEquals(1, e1.version());
            assertTrue(e1.timestamp() > 0);
            assertEquals(a.position(), f.store.readEvent("orders-1", 0).position());
            assertEquals(new StreamInfo("orders-1", 0, 3), f.store.streamInfo("orders-1"));
        }
    }

    @Test
    void shouldRejectAWrongExpectedVersionWithTheCurrentOneAndWriteNothing(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            WrongExpectedVersionException none = assertThrows(WrongExpectedVersionException.class,
                    () -> f.append("s", ExpectedVersion.EXISTS, event(0)));
            assertEquals(-1, none.current());
            assertThrows(WrongExpectedVersionException.class, () -> f.append("s", 0, event(0)));
            assertEquals(0, f.store.index().catalog().size(), "a refused append to a new stream leaves no trace");
            f.append("s", ExpectedVersion.NO_STREAM, event(0));
            WrongExpectedVersionException exists = assertThrows(WrongExpectedVersionException.class,
                    () -> f.append("s", ExpectedVersion.NO_STREAM, event(1)));
            assertEquals(0, exists.current());
            assertThrows(WrongExpectedVersionException.class, () -> f.append("s", 5, event(1)));
            f.append("s", ExpectedVersion.EXISTS, event(1));
            f.append("s", ExpectedVersion.ANY, event(2));
            long position = f.log.committedPosition();
            assertThrows(WrongExpectedVersionException.class, () -> f.append("s", 1, event(3)));
            assertEquals(position, f.log.committedPosition(), "a refused append writes nothing");
            assertEquals(2, f.store.streamInfo("s").lastVersion());
        }
    }

    @Test
    void shouldRefuseBadInputWithoutWriting(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (String bad : new String[]{"", "$all", "a/b", "a b", "x".repeat(201), "ü", "../etc"}) {
                assertThrows(InvalidRequestException.class, () -> f.append(bad, ExpectedVersion.ANY, event(0)), bad);
            }
            assertThrows(InvalidRequestException.class, () -> f.append("ok", ExpectedVersion.ANY));
            assertThrows(InvalidRequestException.class, () -> f.append("ok", ExpectedVersion.ANY, event(0), event(0)));
            assertThrows(InvalidRequestException.class, () -> f.append("ok", ExpectedVersion.ANY,
                    new NewEvent(UUID.randomUUID(), "", new byte[0], null, true)));
            f.append("x".repeat(200), ExpectedVersion.ANY, event(0));
            f.append("a-Z_0.9:x@y", ExpectedVersion.ANY, event(0));
            assertEquals(2, f.store.listStreams(0, 100).streams().size());
        }
    }

    @Test
    void shouldPageStreamsForwardAndBackward(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 25; i++) {
                f.append("p", ExpectedVersion.ANY, event(i));
                f.append("other", ExpectedVersion.ANY, event(1000 + i));
            }
            List<Long> forward = new ArrayList<>();
            long from = 0;
            do {
                ReadPage page = f.store.readStream("p", from, 10, Direction.FORWARD);
                page.events().forEach(e -> forward.add(e.version()));
                from = page.next();
            } while (from >= 0);
            assertEquals(25, forward.size());
            for (int i = 0; i < 25; i++) {
                assertEquals(i, forward.get(i));
            }
            ReadPage back = f.store.readStream("p", -1, 10, Direction.BACKWARD);
            assertEquals(24, back.events().get(0).version());
            assertEquals(15, back.events().get(9).version());
            assertEquals(14, back.next());
            ReadPage lastBack = f.store.readStream("p", 3, 10, Direction.BACKWARD);
            assertEquals(4, lastBack.events().size());
            assertEquals(-1, lastBack.next());
            ReadPage beyond = f.store.readStream("p", 25, 10, Direction.FORWARD);
            assertTrue(beyond.events().isEmpty());
            assertEquals(-1, beyond.next());
            assertThrows(StreamNotFoundException.class, () -> f.store.readStream("nope", 0, 10, Direction.FORWARD));
            StreamNotFoundException noVersion = assertThrows(StreamNotFoundException.class, () -> f.store.readEvent("p", 25));
            assertTrue(noVersion.streamExists());
            assertThrows(InvalidRequestException.class, () -> f.store.readStream("p", 0, 0, Direction.FORWARD));
        }
    }

    @Test
    void shouldReadTheWholeLogByPositionInAppendOrder(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            List<Long> positions = new ArrayList<>();
            for (int i = 0; i < 3000; i++) { // crosses several 256 KiB segments
                positions.add(f.append("s" + (i % 7), ExpectedVersion.ANY, event(i)).position());
            }
            List<RecordedEvent> all = new ArrayList<>();
            long from = 0;
            do {
                ReadPage page = f.store.readAll(from, 128);
                all.addAll(page.events());
                from = page.next();
            } while (from >= 0);
            assertEquals(3000, all.size());
            for (int i = 0; i < 3000; i++) {
                assertEquals(positions.get(i), all.get(i).position());
                assertEvent(event(i), all.get(i));
                assertEquals("s" + (i % 7), all.get(i).stream());
                assertEquals(i / 7, all.get(i).version());
            }
            assertThrows(InvalidRequestException.class, () -> f.store.readAll(positions.get(5) + 8, 10),
                    "a position inside a record is not a record boundary");
        }
    }

    @Test
    void shouldListStreamsInCreationOrderByPage(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 30; i++) {
                f.append("list-" + i, ExpectedVersion.NO_STREAM, events(i * 10, 1 + i % 3).toArray(NewEvent[]::new));
            }
            f.store.commitGroup("g", "list-0", 0).toCompletableFuture().join(); // $groups is not listed
            List<StreamInfo> seen = new ArrayList<>();
            long from = 0;
            do {
                StreamPage page = f.store.listStreams(from, 7);
                seen.addAll(page.streams());
                from = page.next();
            } while (from >= 0);
            assertEquals(30, seen.size());
            for (int i = 0; i < 30; i++) {
                assertEquals(new StreamInfo("list-" + i, 0, i % 3), seen.get(i));
            }
        }
    }

    @Test
    void shouldKeepStreamsAndVersionsAcrossACleanRestartWithoutRescanningTheLog(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 500; i++) {
                f.append("r" + (i % 10), ExpectedVersion.ANY, event(i));
            }
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(500, f.store.index().loadedEntries());
            assertEquals(0, f.store.index().rebuiltEntries(), "a clean stop leaves the index complete");
            for (int s = 0; s < 10; s++) {
                assertEquals(49, f.store.streamInfo("r" + s).lastVersion());
            }
            assertEvent(event(123), f.store.readEvent("r3", 12));
            assertEquals(50, f.append("r0", 49, event(9999)).firstVersion());
        }
    }

    @Test
    void shouldRebuildALostIndexFromTheLog(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 400; i++) {
                f.append("b" + (i % 4), ExpectedVersion.ANY, event(i));
            }
            f.store.commitGroup("g1", "b1", 41).toCompletableFuture().join();
        }
        StoreFixture.deleteIndex(dir);
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(0, f.store.index().loadedEntries());
            assertEquals(401, f.store.index().rebuiltEntries());
            for (int i = 0; i < 400; i++) {
                assertEvent(event(i), f.store.readEvent("b" + (i % 4), i / 4));
            }
            assertEquals(41, f.store.groupVersion("g1", "b1").orElseThrow());
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(401, f.store.index().loadedEntries(), "the rebuilt index was written back");
            assertEquals(0, f.store.index().rebuiltEntries());
        }
    }

    @Test
    void shouldWaitForTheFlushWhenAskedEvenInAsyncMode(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            AppendOutcome o = f.store.append("d", List.of(event(0)), ExpectedVersion.ANY, Durability.FLUSHED)
                    .toCompletableFuture().join();
            assertEquals(Durability.FLUSHED, o.durability());
            assertTrue(f.log.flushedPosition() > o.position());
        }
    }
}
