package io.strand.store.groups;

import io.strand.store.AppendOutcome;
import io.strand.store.groups.GroupsFixture.Recorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.LongStream;

import static io.strand.store.groups.GroupsFixture.await;
import static io.strand.store.groups.GroupsFixture.ids;
import static io.strand.store.groups.GroupsFixture.stream;
import static io.strand.store.groups.GroupsFixture.versions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared-group engine's rules, driven directly (no HTTP): departure, unknown acks, skip,
 * {@code from: end}, restart from the resume point, deletion. Ack timeouts are 60 s throughout, so
 * every redelivery seen within the tests' waits is caused by the rule under test, not by a timeout.
 */
class GroupRulesTest {

    @Test
    void aConsumerThatLeavesHasItsUnackedEventsRedeliveredToTheOthersAtOnce(@TempDir Path dir) throws Exception {
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            f.append("s", 4, 50);
            assertTrue(await(f.groups.put("g", stream("s", 10))));
            Recorder a = new Recorder().attach(f.groups, "g");
            List<Delivery> held = a.take(4, 10);
            assertEquals(List.of(0L, 1L, 2L, 3L), versions(held));
            Recorder b = new Recorder().attach(f.groups, "g");
            await(f.groups.ack("g", List.of(held.get(1).event().id()))); // settled: not redelivered
            assertEquals(0, b.deliveries.size(), "nothing for b while a holds everything");
            f.groups.detach("g", a.member);
            List<Delivery> again = b.take(3, 5); // well within the 60 s ack timeout
            assertEquals(List.of(0L, 2L, 3L), versions(again));
            for (Delivery d : again) {
                assertEquals(2, d.attempt(), "a redelivery is attempt 2");
            }
            GroupStatus s = f.status("g");
            assertEquals(1, s.consumers());
            assertEquals(3, s.inFlight());
            assertEquals(3, s.redeliveries());
            assertEquals(7, s.delivered());
            // a's ids are b's now: b acks them; a's departure left it nothing
            await(f.groups.ack("g", ids(again)));
            assertEquals(0, f.status("g").inFlight());
            assertEquals(0, f.status("g").lag());
            assertEquals(0, a.deliveries.size());
        }
    }

    @Test
    void anAckNamingAnIdNotInFlightFailsAndSettlesNothing(@TempDir Path dir) throws Exception {
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            f.append("s", 3, 50);
            await(f.groups.put("g", stream("s", 10)));
            Recorder c = new Recorder().attach(f.groups, "g");
            List<Delivery> got = c.take(3, 10);
            UUID unknown = UUID.randomUUID();
            UnknownDeliveryException e = assertThrows(UnknownDeliveryException.class,
                    () -> await(f.groups.ack("g", List.of(got.get(0).event().id(), unknown, got.get(1).event().id()))));
            assertEquals(List.of(unknown), e.ids());
            GroupStatus s = f.status("g");
            assertEquals(3, s.inFlight(), "nothing of the refused ack was settled");
            assertEquals(0, s.acked());
            // the known ids are still in flight: acking them now works, once
            await(f.groups.ack("g", List.of(got.get(0).event().id(), got.get(1).event().id())));
            assertEquals(2, f.status("g").acked());
            UnknownDeliveryException twice = assertThrows(UnknownDeliveryException.class,
                    () -> await(f.groups.ack("g", List.of(got.get(0).event().id()))));
            assertEquals(List.of(got.get(0).event().id()), twice.ids());
            assertThrows(UnknownDeliveryException.class, () -> await(f.groups.nack("g", List.of(unknown), NackAction.SKIP)));
            assertEquals(1, f.status("g").inFlight());
            assertThrows(GroupNotFoundException.class, () -> await(f.groups.ack("nope", List.of(unknown))));
        }
    }

    @Test
    void aSkippedEventIsSettledAndNeverComesBackNotEvenAfterARestart(@TempDir Path dir) throws Exception {
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            f.append("s", 3, 50);
            await(f.groups.put("g", stream("s", 10)));
            Recorder c = new Recorder().attach(f.groups, "g");
            List<Delivery> got = c.take(3, 10);
            await(f.groups.nack("g", List.of(got.get(1).event().id()), NackAction.SKIP));
            GroupStatus s = f.status("g");
            assertEquals(2, s.inFlight());
            assertEquals(0, s.acked(), "a skip is not an ack");
            assertEquals(0, s.parked());
            assertThrows(UnknownDeliveryException.class, () -> await(f.groups.ack("g", List.of(got.get(1).event().id()))));
            // a retry of another comes back (attempt 2) before anything newer: the skipped one does not
            await(f.groups.nack("g", List.of(got.get(2).event().id()), NackAction.RETRY));
            Delivery retried = c.take(1, 5).get(0);
            assertEquals(2L, retried.event().version());
            assertEquals(2, retried.attempt());
            await(f.groups.ack("g", List.of(got.get(0).event().id(), retried.event().id())));
            assertEquals(0, f.status("g").lag());
        }
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            // every event settled, the last one read (2) being the resume point: no lag after the restart either
            assertEquals(0, f.status("g").lag());
            Recorder c = new Recorder().attach(f.groups, "g");
            f.append("s", 1, 50);
            Delivery next = c.take(1, 10).get(0);
            assertEquals(3L, next.event().version(), "the skipped event (version 1) stays settled");
        }
    }

    @Test
    void aNackOfThousandsOfIdsParksThemAllWithoutOverloadingTheLog(@TempDir Path dir) throws Exception {
        try (GroupsFixture f = GroupsFixture.open(dir, 1000)) { // at most 1,000 appends waiting for their flush
            f.append("s", 3000, 50);
            await(f.groups.put("g", stream("s", 3000)));
            Recorder c = new Recorder().attach(f.groups, "g");
            List<Delivery> got = c.take(3000, 20);
            await(f.groups.nack("g", ids(got), NackAction.PARK)); // one parked record each
            GroupStatus s = f.status("g");
            assertEquals(3000, s.parked());
            assertEquals(0, s.inFlight());
            assertEquals(0, s.lag());
            assertEquals(ids(got.subList(0, 10)), await(f.groups.parked("g", 0, 10)).events().stream().map(e -> e.id()).toList());
        }
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            assertEquals(3000, f.status("g").parked(), "every parked record was written");
        }
    }

    @Test
    void fromEndStartsAfterTheLastEventAtCreation(@TempDir Path dir) throws Exception {
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            f.append("s", 5, 50);
            f.append("other", 3, 50);
            GroupSettings end = new GroupSettings("s", List.of(), List.of(), GroupSettings.END, 60, 5, 10,
                    GroupSettings.Strategy.ROUND_ROBIN);
            assertTrue(await(f.groups.put("g", end)));
            assertEquals(5, f.status("g").settings().from(), "end is resolved once, at creation");
            assertEquals(0, f.status("g").lag());
            GroupSettings allEnd = new GroupSettings("$all", List.of(), List.of("s"), GroupSettings.END, 60, 5, 10,
                    GroupSettings.Strategy.ROUND_ROBIN);
            await(f.groups.put("all", allEnd));
            Recorder c = new Recorder().attach(f.groups, "g");
            Recorder all = new Recorder().attach(f.groups, "all");
            AppendOutcome later = f.append("s", 2, 50).get(0);
            f.append("other", 1, 50);
            assertEquals(List.of(5L, 6L), versions(c.take(2, 10)));
            Delivery first = all.take(1, 10).get(0);
            assertEquals(later.position(), first.event().position(), "$all from end: the first event appended after creation");
            assertEquals("s", first.event().stream());
            // a change of delivery settings keeps the resolved start
            await(f.groups.put("g", end));
            assertEquals(5, f.status("g").settings().from());
        }
    }

    @Test
    void anUnfilteredAllGroupIsNotGivenTheGroupsOwnRecords(@TempDir Path dir) throws Exception {
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            f.append("s", 3, 50);
            GroupSettings all = new GroupSettings("$all", List.of(), List.of(), GroupSettings.START, 60, 5, 10,
                    GroupSettings.Strategy.ROUND_ROBIN);
            await(f.groups.put("all", all));
            await(f.groups.put("other", all));
            Recorder c = new Recorder().attach(f.groups, "all");
            Recorder o = new Recorder().attach(f.groups, "other");
            for (int i = 0; i < 3; i++) {
                Delivery d = c.take(1, 10).get(0);
                assertEquals("s", d.event().stream());
                await(f.groups.ack("all", List.of(d.event().id()))); // each ack appends a record to $pg-all
                Delivery e = o.take(1, 10).get(0);
                assertEquals("s", e.event().stream());
                await(f.groups.ack("other", List.of(e.event().id())));
            }
            // The groups' records ($pg, $pg-all, $pg-other) lie between the acked events and this one in the
            // log: had they been given to the consumers, they would come first, and each ack would make more.
            AppendOutcome marker = f.append("s", 1, 50).get(0);
            assertEquals(marker.position(), c.take(1, 10).get(0).event().position());
            assertEquals(marker.position(), o.take(1, 10).get(0).event().position());
        }
    }

    @Test
    void aRestartResumesAtTheResumePointAndSkipsWhatWasAckedAboveIt(@TempDir Path dir) throws Exception {
        Set<Long> acked = new HashSet<>(List.of(0L, 1L, 2L, 3L, 4L, 7L, 9L, 15L));
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            f.append("s", 20, 50);
            await(f.groups.put("g", stream("s", 20)));
            Recorder c = new Recorder().attach(f.groups, "g");
            List<Delivery> got = c.take(20, 10);
            List<UUID> toAck = new ArrayList<>();
            for (Delivery d : got) {
                if (acked.contains(d.event().version())) {
                    toAck.add(d.event().id());
                }
            }
            // in two acks, out of order: the first moves the resume point to 5, the second only adds offsets above it
            await(f.groups.ack("g", List.of(toAck.get(7), toAck.get(5))));
            await(f.groups.ack("g", toAck.subList(0, 5)));
            await(f.groups.ack("g", List.of(toAck.get(6))));
            assertEquals(8, f.status("g").acked());
        }
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            assertEquals(20, f.status("g").settings().maxInFlight(), "the group and its settings are back");
            assertEquals(15, f.status("g").lag(), "lag counts from the resume point, 5");
            Recorder c = new Recorder().attach(f.groups, "g");
            List<Long> expected = LongStream.range(0, 20).filter(v -> !acked.contains(v)).boxed().toList();
            List<Delivery> got = c.take(expected.size(), 10);
            assertEquals(expected, versions(got), "exactly the unacked events, in order");
            for (Delivery d : got) {
                assertEquals(1, d.attempt());
            }
            await(f.groups.ack("g", ids(got)));
            GroupStatus s = f.status("g");
            assertEquals(0, s.lag());
            assertEquals(0, s.inFlight());
            assertEquals(12, s.acked());
            f.append("s", 1, 50);
            assertEquals(20L, c.take(1, 10).get(0).event().version(), "nothing acked came back before the new event");
        }
    }

    @Test
    void aDeletedGroupIsGoneAfterAReopenAndANewGroupOfTheNameStartsFresh(@TempDir Path dir) throws Exception {
        List<UUID> all;
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            f.append("s", 6, 50);
            await(f.groups.put("g", stream("s", 10)));
            Recorder c = new Recorder().attach(f.groups, "g");
            List<Delivery> got = c.take(6, 10);
            all = ids(got);
            await(f.groups.ack("g", all.subList(0, 3)));
            await(f.groups.nack("g", List.of(all.get(3)), NackAction.PARK));
            assertEquals(1, waitForParked(f, "g", 1));
            await(f.groups.delete("g"));
            assertEquals(1, c.ended.size(), "its consumer was ended");
            assertThrows(GroupNotFoundException.class, () -> await(f.groups.status("g")));
        }
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            assertThrows(GroupNotFoundException.class, () -> await(f.groups.status("g")));
            assertFalse(await(f.groups.list()).stream().anyMatch(s -> s.name().equals("g")));
            assertTrue(await(f.groups.put("g", stream("s", 4))), "created, not changed");
            GroupStatus s = f.status("g");
            assertEquals(0, s.parked(), "the old group's parked event is not the new one's");
            assertEquals(6, s.lag());
            assertEquals(0, await(f.groups.parked("g", 0, 10)).events().size());
            Recorder c = new Recorder().attach(f.groups, "g");
            List<Delivery> first = c.take(4, 10);
            assertEquals(all.subList(0, 4), ids(first), "from the start again, acked ones included");
            await(f.groups.ack("g", ids(first).subList(0, 2)));
        }
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            GroupStatus s = f.status("g");
            assertEquals(4, s.settings().maxInFlight(), "the new group's settings");
            assertEquals(4, s.lag(), "the new group's acks only");
            Recorder c = new Recorder().attach(f.groups, "g");
            assertEquals(all.subList(2, 6), ids(c.take(4, 10)));
        }
    }

    private static long waitForParked(GroupsFixture f, String group, long n) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long parked;
        while ((parked = f.status(group).parked()) < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return parked;
    }
}
