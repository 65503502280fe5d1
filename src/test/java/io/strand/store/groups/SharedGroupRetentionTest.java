package io.strand.store.groups;

import io.strand.log.CommitLog;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;
import io.strand.store.Direction;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.PositionGoneException;
import io.strand.store.RecordedEvent;
import io.strand.store.StoreConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared groups across retention on a real store (256 KiB segments): retention deletes the segments
 * holding every record a group was built from, the group carries them forward first, and the store
 * and groups reopened rebuild the same group; a deleted group stays deleted.
 */
class SharedGroupRetentionTest {
    private static final long MAX_BYTES = 256 * 1024;

    /** A log, a store and its shared groups over a directory. */
    private static final class Opened implements AutoCloseable {
        final CommitLog log;
        final EventStore store;
        final SharedGroups groups;

        Opened(Path dir) throws Exception {
            log = CommitLog.open(LogConfig.defaults(dir).withSegmentSize(256 * 1024).withPool(true, 4, 64 * 1024)
                    .withFlush(FlushMode.ASYNC, Duration.ofMillis(20)));
            store = EventStore.open(log, StoreConfig.defaults());
            groups = SharedGroups.open(store);
        }

        void append(String stream, long i) {
            NewEvent e = new NewEvent(UUID.randomUUID(), "T", ("{\"i\":" + i + ",\"pad\":\"" + "x".repeat(200) + "\"}")
                    .getBytes(StandardCharsets.UTF_8), null, false);
            await(store.append(stream, List.of(e), ExpectedVersion.ANY, null));
        }

        void awaitFlushed() throws InterruptedException {
            long target = log.committedPosition();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (log.flushedPosition() < target && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }

        @Override
        public void close() throws Exception {
            groups.close();
            store.close();
            log.close();
        }
    }

    /** A consumer that queues what it is given. */
    private static final class Queue implements GroupConsumer {
        final BlockingQueue<Delivery> got = new LinkedBlockingQueue<>();

        @Override
        public void deliver(Delivery delivery) {
            got.add(delivery);
        }

        @Override
        public void end(String why) {
        }

        Delivery next() throws InterruptedException {
            Delivery d = got.poll(10, TimeUnit.SECONDS);
            assertNotNull(d, "a delivery within 10 s");
            return d;
        }
    }

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

    private static GroupSettings settings(int ackTimeout, int maxDeliveries, int maxInFlight) {
        return new GroupSettings("src", List.of(), List.of(), GroupSettings.START, ackTimeout, maxDeliveries, maxInFlight,
                GroupSettings.Strategy.ROUND_ROBIN);
    }

    private static List<UUID> ids(Map<Long, Delivery> got, long... versions) {
        List<UUID> out = new ArrayList<>();
        for (long v : versions) {
            out.add(got.get(v).event().id());
        }
        return out;
    }

    /** Every record of a stream that is still held. */
    private static List<RecordedEvent> held(EventStore store, String stream) {
        return store.readStream(stream, -1, 1000, Direction.FORWARD).events();
    }

    private static void awaitParked(Opened o, String group, long parked) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (await(o.groups.status(group)).parked() != parked && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(parked, await(o.groups.status(group)).parked());
    }

    /**
     * g: src 0..9 delivered; 0-2 and 5-7 acked (above its resume point 4), 3 parked and replayed (acked),
     * 8 parked and not replayed, 4 and 9 never settled; its settings changed. gone: created, used, deleted.
     */
    private static Map<Long, Delivery> build(Opened o) throws InterruptedException {
        for (int i = 0; i < 10; i++) {
            o.append("src", i);
        }
        assertTrue(await(o.groups.put("g", settings(30, 5, 100))));
        Queue c = new Queue();
        GroupMember m = await(o.groups.attach("g", c));
        Map<Long, Delivery> got = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            Delivery d = c.next();
            got.put(d.event().version(), d);
        }
        await(o.groups.ack("g", ids(got, 0, 1, 2)));
        await(o.groups.nack("g", ids(got, 3), NackAction.PARK));
        await(o.groups.replayParked("g"));
        Delivery replayed = c.next();
        assertEquals(3, replayed.event().version());
        await(o.groups.ack("g", List.of(replayed.event().id())));
        awaitParked(o, "g", 0);
        await(o.groups.ack("g", ids(got, 5, 6, 7)));
        await(o.groups.nack("g", ids(got, 8), NackAction.PARK));
        assertFalse(await(o.groups.put("g", settings(60, 7, 50))));
        o.groups.detach("g", m);

        assertTrue(await(o.groups.put("gone", settings(30, 5, 100))));
        Queue c2 = new Queue();
        await(o.groups.attach("gone", c2));
        Map<Long, Delivery> got2 = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            Delivery d = c2.next();
            got2.put(d.event().version(), d);
        }
        await(o.groups.ack("gone", ids(got2, 0, 1)));
        await(o.groups.nack("gone", ids(got2, 2), NackAction.PARK));
        await(o.groups.delete("gone"));
        return got;
    }

    @Test
    void aGroupWhoseRecordsRetentionDeletesIsRebuiltTheSameAfterAReopen(@TempDir Path dir) throws Exception {
        String before;
        GroupStatus status;
        List<RecordedEvent> originals;
        List<RecordedEvent> registry;
        UUID parked;
        try (Opened o = new Opened(dir)) {
            Map<Long, Delivery> got = build(o);
            parked = got.get(8L).event().id();
            before = await(o.groups.describe("g"));
            assertTrue(before.contains("resume=4 settled=[5, 6, 7, 8] parked=[8:" + parked + "]"), before);
            status = await(o.groups.status("g"));
            assertEquals(1, status.parked());
            ParkedPage page = await(o.groups.parked("g", 0, 10));
            assertEquals(List.of(parked), page.events().stream().map(RecordedEvent::id).toList());
            originals = held(o.store, "$pg-g");
            registry = held(o.store, "$pg");

            for (int i = 0; i < 4000; i++) {
                o.append("fill", i);
            }
            for (int i = 10; i < 20; i++) {
                o.append("src", i); // held: what a new consumer gets
            }
            o.awaitFlushed();
            assertTrue(o.store.applyRetention(0, MAX_BYTES) > 0);
            long first = o.log.firstPosition();
            for (RecordedEvent r : originals) {
                assertTrue(r.position() < first, "every record g was built from is deleted: " + r.version());
            }
            for (RecordedEvent r : registry) {
                assertTrue(r.position() < first, "and the registry's entries: " + r.version());
            }
            assertThrows(PositionGoneException.class, () -> o.store.readEvent("$pg-g", 0));
            assertEquals(before, await(o.groups.describe("g")), "the running group is unchanged");
            assertEquals(List.of(), await(o.groups.parked("g", 0, 10)).events(),
                    "src 8 went with its segment: not listed");
        }
        try (Opened o = new Opened(dir)) {
            assertEquals(before, await(o.groups.describe("g")), "rebuilt from the carried records");
            GroupStatus after = await(o.groups.status("g"));
            assertEquals(status.settings(), after.settings());
            assertEquals(60, after.settings().ackTimeoutSeconds());
            assertEquals(status.parked(), after.parked());
            assertEquals(List.of("g"), await(o.groups.list()).stream().map(GroupStatus::name).toList());
            assertThrows(GroupNotFoundException.class, () -> await(o.groups.status("gone")), "gone stays deleted");
            assertEquals(List.of("g"), held(o.store, "$pg").stream()
                    .map(e -> new String(e.data(), StandardCharsets.UTF_8)).toList(), "the registry lists g alone");
            List<GroupRecord> parkedRecords = held(o.store, "$pg-g").stream()
                    .map(e -> GroupRecordDescriptor.decode(e.data())).filter(r -> r instanceof GroupRecord.Parked).toList();
            assertEquals(1, parkedRecords.size(), "only the parked event not replayed was carried");
            GroupRecord.Parked p = assertInstanceOf(GroupRecord.Parked.class, parkedRecords.get(0));
            assertEquals(8, p.offset());
            assertEquals(parked, p.id());
            assertEquals(List.of(), await(o.groups.parked("g", 0, 10)).events(), "the page as before the reopen");

            Queue c = new Queue();
            await(o.groups.attach("g", c));
            List<Long> delivered = new ArrayList<>();
            for (int i = 10; i < 20; i++) {
                delivered.add(c.next().event().version());
            }
            assertEquals(List.of(10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L), delivered,
                    "from the resume point 4, from what is held");
            assertNull(c.got.poll(300, TimeUnit.MILLISECONDS), "nothing else");
        }
        try (Opened o = new Opened(dir)) { // a second carry-forward moves the carried records on again
            for (int i = 0; i < 4000; i++) {
                o.append("fill", i);
            }
            o.awaitFlushed();
            List<RecordedEvent> carried = held(o.store, "$pg-g");
            assertTrue(o.store.applyRetention(0, MAX_BYTES) > 0);
            assertTrue(carried.get(0).position() < o.log.firstPosition());
            assertEquals(before, await(o.groups.describe("g")));
        }
        try (Opened o = new Opened(dir)) {
            assertEquals(before, await(o.groups.describe("g")));
            assertEquals(List.of("g"), await(o.groups.list()).stream().map(GroupStatus::name).toList());
        }
    }

    @Test
    void aGroupThatCannotBeRebuiltIsSkippedNotFatal(@TempDir Path dir) throws Exception {
        try (Opened o = new Opened(dir)) {
            assertTrue(await(o.groups.put("ok", settings(30, 5, 100))));
            await(o.store.appendSystem("$pg", List.of(new NewEvent(UUID.randomUUID(), GroupStore.EVENT_TYPE,
                    "broken".getBytes(StandardCharsets.UTF_8), null, true))));
            await(o.store.appendSystem("$pg-broken", List.of(new NewEvent(UUID.randomUUID(), GroupStore.EVENT_TYPE,
                    GroupRecordDescriptor.encode(new GroupRecord.Settled(3, new long[]{5})), null, true))));
        }
        try (Opened o = new Opened(dir)) {
            assertEquals(List.of("ok"), await(o.groups.list()).stream().map(GroupStatus::name).toList());
            assertThrows(GroupNotFoundException.class, () -> await(o.groups.status("broken")));
        }
    }
}
