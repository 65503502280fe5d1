package io.strand.store;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.strand.log.EventRecord;
import io.strand.log.LogCursor;
import io.strand.log.RecordDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code $all} starts only at real record boundaries: an event whose data holds a valid serialized
 * record (CRC and all) cannot be read or subscribed from the inside as a forged event.
 */
class AllBoundaryTest {
    /** Stream and type lengths such that the outer record's data starts 8-aligned: 64 + 4 + 4 = 72. */
    private static final String EVIL = "evil";
    private static final String TYPE = "Blob";
    private static final int DATA_OFFSET = RecordDescriptor.HEADER_LENGTH + EVIL.length() + TYPE.length();

    /** A record exactly as the store writes it (RecordCodec, RecordDescriptor), CRC-valid. */
    static byte[] serializedRecord(String stream, long version, NewEvent e) {
        EventRecord r = RecordCodec.encode(stream.getBytes(StandardCharsets.UTF_8), e);
        ByteBuffer b = ByteBuffer.allocate(r.framedLength());
        int framed = RecordDescriptor.encode(b, b.duplicate(), new CRC32C(), 0, r, version, System.currentTimeMillis(), 0);
        assertEquals(r.framedLength(), framed);
        assertTrue(RecordDescriptor.check(b, b.duplicate(), new CRC32C(), 0, framed) > 0, "a valid record");
        return b.array();
    }

    @Test
    void shouldRefuseAPositionInsideAnEventThatHoldsAValidRecord(@TempDir Path dir) throws Exception {
        ExecutorService readers = Executors.newSingleThreadExecutor();
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("victim", ExpectedVersion.ANY, event(0));
            f.store.commitGroup("g", "victim", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
            NewEvent forgedVictim = new NewEvent(UUID.randomUUID(), "Forged",
                    "{\"forged\":true}".getBytes(StandardCharsets.UTF_8), null, false);
            byte[] a = serializedRecord("victim", 0, forgedVictim); // claims a version that exists elsewhere
            byte[] b = serializedRecord("ghost", 0, forgedVictim); // claims a stream that does not exist
            byte[] c = serializedRecord("$groups", 0, forgedVictim); // claims an internal record
            byte[] data = new byte[a.length + b.length + c.length];
            System.arraycopy(a, 0, data, 0, a.length);
            System.arraycopy(b, 0, data, a.length, b.length);
            System.arraycopy(c, 0, data, a.length + b.length, c.length);
            AppendOutcome outer = f.append(EVIL, ExpectedVersion.ANY, new NewEvent(UUID.randomUUID(), TYPE, data, null, true));
            f.append("after", ExpectedVersion.ANY, event(1));
            long[] inside = {outer.position() + DATA_OFFSET, outer.position() + DATA_OFFSET + a.length,
                    outer.position() + DATA_OFFSET + a.length + b.length};

            for (long p : inside) {
                // The log's own check (one CRC-valid record) is fooled: that is what the store guards.
                try (LogCursor cursor = f.log.cursor(p)) {
                    assertTrue(cursor.next(), "the log alone accepts " + p);
                }
                InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> f.store.readAll(p, 10));
                assertTrue(e.getMessage().contains("not a record boundary"), e.getMessage());
                assertThrows(InvalidRequestException.class, () -> f.store.readAllPositions(p, 10, EventFilter.ALL));
                assertThrows(InvalidRequestException.class, () -> f.store.readAllViews(p, 10, EventFilter.ALL));
                assertThrows(InvalidRequestException.class, () -> f.store.checkRecordBoundary(p));
                AssertSubscriber<RecordedEvent> sub = f.store.subscribeAll(p, readers)
                        .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
                sub.awaitFailure(Duration.ofSeconds(30));
                assertInstanceOf(InvalidRequestException.class, sub.getFailure());
                assertTrue(sub.getItems().isEmpty(), "no forged event was delivered");
            }
            for (long p : new long[]{outer.position() + 8, outer.position() + 4, f.log.committedPosition() + 8, -8}) {
                assertThrows(InvalidRequestException.class, () -> f.store.checkRecordBoundary(p), "position " + p);
            }

            // Every real boundary works, the store's own $groups records included, and so do the
            // first position and the committed end.
            List<RecordedEvent> all = f.store.readAll(0, 1000).events();
            assertEquals(4, all.size()); // victim, $groups, evil, after
            assertTrue(all.stream().anyMatch(e -> e.stream().equals(EventStore.GROUPS_STREAM)));
            for (RecordedEvent e : all) {
                RecordedEvent first = f.store.readAll(e.position(), 1).events().get(0);
                assertEquals(e.position(), first.position());
                assertEquals(e.id(), first.id());
            }
            assertEquals(all.get(0).position(), f.store.readAll(f.log.firstPosition(), 1).events().get(0).position());
            assertTrue(f.store.readAll(f.log.committedPosition(), 10).events().isEmpty());
            RecordedEvent outerEvent = all.stream().filter(e -> e.stream().equals(EVIL)).findFirst().orElseThrow();
            AssertSubscriber<RecordedEvent> fromOuter = f.store.subscribeAll(outerEvent.position(), readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            fromOuter.awaitItems(2, Duration.ofSeconds(30));
            assertTrue(Arrays.equals(data, fromOuter.getItems().get(0).data()));
            assertEquals("after", fromOuter.getItems().get(1).stream());
            fromOuter.cancel();
        } finally {
            readers.shutdownNow();
        }
    }

    @Test
    void shouldAcceptACommittedEndThatBecameAnEndOfSegmentMarker(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            int segment = f.log.config().segmentSize();
            byte[] kilo = new byte[1000];
            long i = 0;
            while (segment - f.log.committedPosition() % segment > 2000 || f.log.committedPosition() % segment == 0) {
                f.append("fill", ExpectedVersion.ANY, new NewEvent(new UUID(3, i++), "T", kilo, null, true));
            }
            long end = f.log.committedPosition(); // a client may hold this (Strand-Next of GET /log)
            AppendOutcome rolled = f.append("fill", ExpectedVersion.ANY, new NewEvent(new UUID(3, i), "T", new byte[4000], null, true));
            assertEquals(end - end % segment + segment, rolled.position(), "the batch went to the next segment");
            f.store.checkRecordBoundary(end); // the marker there: a boundary
            List<RecordedEvent> page = f.store.readAll(end, 10).events();
            assertEquals(1, page.size());
            assertEquals(rolled.position(), page.get(0).position());
        }
    }
}
