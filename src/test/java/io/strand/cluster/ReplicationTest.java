package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.Direction;
import io.strand.store.ExpectedVersion;
import io.strand.store.StoreUnavailableException;
import io.strand.store.StreamChange;
import io.strand.store.StreamInfo;
import io.strand.store.StreamMetadata;
import io.strand.store.StreamNotFoundException;
import io.strand.store.StreamTombstonedException;
import io.strand.store.WrongExpectedVersionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.strand.cluster.TestCluster.append;
import static io.strand.cluster.TestCluster.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three replicas in one JVM, each with its own CommitLog and store, talking Raft over real sockets on
 * 127.0.0.1: appends through any member reach every log as the same bytes, conflicts and re-sends
 * answer alike everywhere, a restarted member catches up without applying anything twice, and a
 * member without a majority refuses appends as unavailable. Stream lifecycle changes (soft delete,
 * tombstone, settings) made through any member hold on every member and after a restart. (The packaged three-process cluster
 * with kill -9 and SIGSTOP is ClusterIT.)
 */
class ReplicationTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final TestCluster cluster = new TestCluster();
    private final List<ReplicaNode> nodes = cluster.nodes;

    private void startThree(Duration requestTimeout, long snapshotThreshold) throws Exception {
        cluster.startThree(dir, requestTimeout, snapshotThreshold);
    }

    @Test
    void appendsThroughAnyMemberReachEveryLogAsTheSameBytes() throws Exception {
        startThree(Duration.ofSeconds(10), 100_000);
        for (ReplicaNode n : nodes) { // a follower learns the leader's commit late; what it applied is committed
            ClusterStatus s = n.raft.status();
            assertTrue(s.commitIndex() >= s.appliedIndex(), n.config.nodeId() + " reports " + s);
        }
        ReplicaNode follower = cluster.follower();
        AppendOutcome first = append(follower, "orders-1", ExpectedVersion.NO_STREAM,
                event(UUID.randomUUID(), "a"), event(UUID.randomUUID(), "b"));
        assertEquals(0, first.firstVersion());
        assertEquals(1, first.lastVersion());
        // the answering member applied it: a read there sees it at once
        assertEquals(1, follower.store.streamInfo("orders-1").lastVersion());
        for (int i = 0; i < 50; i++) {
            ReplicaNode via = nodes.get(i % 3);
            append(via, "s-" + (i % 7), ExpectedVersion.ANY, event(UUID.randomUUID(), "e" + i));
        }
        String big = "x".repeat(6000);
        for (int i = 0; i < 60; i++) { // 360 KB: past the first 256 KiB segment, so a segment ends with a marker
            append(nodes.get(i % 3), "big", ExpectedVersion.ANY, event(UUID.randomUUID(), big + i));
        }
        assertTrue(nodes.get(0).log.committedPosition() > 256 * 1024, "the log rolled to a second segment");
        cluster.awaitSameLogs(); // every byte, the rest of the ended segment too
        for (ReplicaNode n : nodes) {
            assertEquals(first.position(), n.store.readEvent("orders-1", 0).position());
            assertTrue(n.store.replica().lastRaftIndex() > 0, "records carry their Raft index");
        }
    }

    @Test
    void conflictsAndReSendsAnswerAlikeThroughEveryMember() throws Exception {
        startThree(Duration.ofSeconds(10), 100_000);
        UUID id = UUID.randomUUID();
        AppendOutcome original = append(nodes.get(0), "acct", ExpectedVersion.NO_STREAM, event(id, "open"));
        for (ReplicaNode via : nodes) {
            AppendOutcome again = append(via, "acct", ExpectedVersion.NO_STREAM, event(id, "open"));
            assertTrue(again.duplicate(), "a re-send through " + via.config.nodeId() + " writes nothing");
            assertEquals(original.position(), again.position());
            ExecutionException conflict = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> append(via, "acct", 5, event(UUID.randomUUID(), "x")));
            WrongExpectedVersionException w = assertInstanceOf(WrongExpectedVersionException.class, conflict.getCause());
            assertEquals(0, w.current());
        }
        cluster.awaitSameLogs();
        assertEquals(0, nodes.get(2).store.streamInfo("acct").lastVersion());
    }

    @Test
    void concurrentAppendsShareRaftEntriesAndEachGetsItsOwnAnswer() throws Exception {
        startThree(Duration.ofSeconds(20), 100_000);
        ReplicaNode via = cluster.follower();
        append(via, "seq", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "v0"));
        long[] before = ((ReplicatedWriter) via.raft.writer()).entriesAndCommands();
        int n = 300;
        List<java.util.concurrent.CompletableFuture<AppendOutcome>> sent = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            // every third one expects a version the stream never has at that point: a conflict, decided alike everywhere
            long expected = i % 3 == 2 ? 10_000 : ExpectedVersion.ANY;
            sent.add(via.raft.writer().write("c-" + (i % 5), List.of(event(UUID.randomUUID(), "e" + i)), expected, null, null, i % 2 == 0)
                    .toCompletableFuture());
        }
        int appended = 0;
        int conflicts = 0;
        for (int i = 0; i < n; i++) {
            try {
                AppendOutcome o = sent.get(i).get(30, TimeUnit.SECONDS);
                assertEquals("c-" + (i % 5), o.stream(), "answer " + i + " is its own command's");
                assertFalse(o.duplicate());
                appended++;
            } catch (ExecutionException e) {
                assertInstanceOf(WrongExpectedVersionException.class, e.getCause(), "answer " + i);
                assertEquals(2, i % 3, "only the commands that expected version 10000 conflict");
                conflicts++;
            }
        }
        assertEquals(n / 3, conflicts);
        long[] after = ((ReplicatedWriter) via.raft.writer()).entriesAndCommands();
        long entries = after[0] - before[0];
        long commands = after[1] - before[1];
        assertEquals(n, commands);
        assertTrue(entries < commands / 2, "commands that arrived while entries were on their way shared entries: "
                + commands + " commands in " + entries + " entries");
        cluster.awaitSameLogs();
        long total = 0;
        for (int s = 0; s < 5; s++) {
            total += via.store.streamInfo("c-" + s).lastVersion() + 1;
        }
        assertEquals(appended, total, "every acknowledged append is in the log once");
    }

    @Test
    void aRestartedMemberCatchesUpWithoutApplyingAnythingTwice() throws Exception {
        startThree(Duration.ofSeconds(10), 20);
        ReplicaNode stopped = cluster.follower();
        append(stopped, "before", ExpectedVersion.ANY, event(UUID.randomUUID(), "0"));
        cluster.awaitSameLogs();
        stopped.stop();
        ReplicaNode leader = cluster.awaitLeader();
        for (int i = 0; i < 60; i++) { // past the snapshot threshold: snapshots are taken meanwhile
            append(leader, "during", ExpectedVersion.ANY, event(UUID.randomUUID(), "d" + i));
        }
        stopped.open();
        append(stopped, "after", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "z"));
        cluster.awaitSameLogs();
        assertEquals(59, stopped.store.streamInfo("during").lastVersion());
        assertEquals(0, stopped.store.streamInfo("before").lastVersion(), "nothing applied twice");
    }

    @Test
    void aMemberWithoutAMajorityRefusesAppendsAsUnavailable() throws Exception {
        startThree(Duration.ofSeconds(2), 100_000);
        append(nodes.get(0), "x", ExpectedVersion.ANY, event(UUID.randomUUID(), "1"));
        cluster.awaitSameLogs();
        ReplicaNode last = nodes.get(2);
        nodes.get(0).stop();
        nodes.get(1).stop();
        long started = System.nanoTime();
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> append(last, "x", ExpectedVersion.ANY, event(UUID.randomUUID(), "2")));
        assertInstanceOf(StoreUnavailableException.class, e.getCause());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "refused within the request timeout");
        // plain reads still served from what it applied
        assertEquals(0, last.store.streamInfo("x").lastVersion());
        ExecutionException read = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> last.raft.writer().linearizable().toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertInstanceOf(StoreUnavailableException.class, read.getCause());
        ClusterStatus s = last.raft.status();
        assertNotNull(s.role());
        assertFalse(ClusterStatus.LEADER.equals(s.role()) && s.leader() != null && !s.leader().equals("n3"));
        // Ratis closes a client whose request ran out of retries; the member renews it, so once the
        // majority is back the same member takes appends again (and the re-send lands once).
        nodes.get(0).open();
        nodes.get(1).open();
        UUID id = UUID.randomUUID();
        AppendOutcome back = null;
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); back == null; ) {
            try {
                back = append(last, "x", ExpectedVersion.ANY, event(id, "3"));
            } catch (ExecutionException unavailable) {
                assertInstanceOf(StoreUnavailableException.class, unavailable.getCause());
                assertTrue(System.nanoTime() < deadline, "appends through n3 resume once the majority is back");
            }
        }
        assertFalse(back.duplicate());
        cluster.awaitSameLogs();
    }

    // ---------------------------------------------------------------- stream lifecycle

    private static void change(ReplicaNode via, String stream, StreamChange change, long expected) throws Exception {
        via.raft.writer().changeStream(stream, change, expected).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** What a member's store shows of {@code stream}: its visible versions, or the refusal's class. */
    private static String view(ReplicaNode n, String stream) {
        try {
            return n.store.readStream(stream, 0, 100, Direction.FORWARD).events().stream().map(e -> e.version()).toList().toString();
        } catch (RuntimeException refused) {
            return refused.getClass().getSimpleName();
        }
    }

    private static List<String> listed(ReplicaNode n) {
        return n.store.listStreams(0, 100).streams().stream().map(StreamInfo::name).toList();
    }

    /** Every running member's store shows {@code expected} for {@code stream}, once their logs are the same. */
    private void assertEveryMemberShows(String stream, String expected) throws Exception {
        cluster.awaitSameLogs();
        for (ReplicaNode n : nodes) {
            if (n.store != null) {
                assertEquals(expected, view(n, stream), n.config.nodeId() + " shows " + stream);
            }
        }
    }

    @Test
    void aSoftDeleteThroughOneMemberHidesTheStreamEverywhereUntilAnAppendThroughAnother() throws Exception {
        startThree(Duration.ofSeconds(10), 100_000);
        append(nodes.get(0), "cart", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "a"), event(UUID.randomUUID(), "b"),
                event(UUID.randomUUID(), "c"));
        append(nodes.get(0), "gone", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "g"));
        append(nodes.get(0), "kept", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "k"));
        change(nodes.get(1), "cart", StreamChange.delete(), 2);
        change(nodes.get(1), "gone", StreamChange.delete(), ExpectedVersion.ANY);
        assertEveryMemberShows("cart", "StreamDeletedException");
        for (ReplicaNode n : nodes) {
            assertEquals("StreamDeletedException", view(n, "gone"));
            assertEquals(List.of("kept"), listed(n), n.config.nodeId() + " lists no deleted stream");
            assertEquals(3, n.store.metadata("cart").metadata().deletedBefore());
            assertNull(n.store.metadata("cart").info(), "nothing visible");
        }

        AppendOutcome next = append(nodes.get(2), "cart", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "d"));
        assertEquals(3, next.firstVersion(), "an append after a delete continues at the next version");
        assertEveryMemberShows("cart", "[3]");
        for (ReplicaNode n : nodes) {
            assertEquals(new StreamInfo("cart", 3, 3), n.store.streamInfo("cart"));
            assertEquals(List.of("cart", "kept"), listed(n).stream().sorted().toList());
        }

        // A restarted member rebuilds the lifecycle from its log: the same streams hidden and shown.
        ReplicaNode restarted = cluster.follower();
        restarted.stop();
        restarted.open();
        append(cluster.awaitLeader(), "kept", 0, event(UUID.randomUUID(), "k2"));
        assertEveryMemberShows("gone", "StreamDeletedException");
        assertEquals("[3]", view(restarted, "cart"));
        assertEquals("[0, 1]", view(restarted, "kept"));
        assertEquals(List.of("cart", "kept"), listed(restarted).stream().sorted().toList());
    }

    @Test
    void aTombstoneAndSettingsThroughAnyMemberHoldOnEveryMemberAndAfterARestart() throws Exception {
        startThree(Duration.ofSeconds(10), 100_000);
        append(nodes.get(0), "dead", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "a"), event(UUID.randomUUID(), "b"));
        for (int i = 0; i < 5; i++) {
            append(nodes.get(i % 3), "capped", ExpectedVersion.ANY, event(UUID.randomUUID(), "c" + i));
        }
        change(cluster.follower(), "dead", StreamChange.tombstone(), ExpectedVersion.ANY);
        change(nodes.get(2), "capped", StreamChange.set(StreamMetadata.settings(2L, null, null, "{\"o\":1}")), 4);
        assertEveryMemberShows("dead", "StreamTombstonedException");
        assertEveryMemberShows("capped", "[3, 4]");
        long end = nodes.get(0).log.committedPosition();
        for (ReplicaNode via : nodes) {
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> append(via, "dead", ExpectedVersion.ANY, event(UUID.randomUUID(), "x")));
            assertInstanceOf(StreamTombstonedException.class, refused.getCause(), "append through " + via.config.nodeId());
            ExecutionException again = assertThrows(ExecutionException.class,
                    () -> change(via, "dead", StreamChange.delete(), ExpectedVersion.ANY));
            assertInstanceOf(StreamTombstonedException.class, again.getCause(), "change through " + via.config.nodeId());
            assertEquals(new StreamInfo("capped", 3, 4), via.store.streamInfo("capped"));
            assertEquals(2L, via.store.metadata("capped").metadata().maxCount());
            assertEquals("{\"o\":1}", via.store.metadata("capped").metadata().custom());
            assertThrows(StreamTombstonedException.class, () -> via.store.metadata("dead"));
        }
        cluster.awaitSameLogs();
        for (ReplicaNode n : nodes) {
            assertEquals(end, n.log.committedPosition(), "refusals wrote nothing on " + n.config.nodeId());
        }

        ReplicaNode restarted = cluster.follower();
        restarted.stop();
        restarted.open();
        assertEquals("StreamTombstonedException", view(restarted, "dead"), "rebuilt at open");
        assertEquals("[3, 4]", view(restarted, "capped"));
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> append(restarted, "dead", ExpectedVersion.ANY, event(UUID.randomUUID(), "y")));
        assertInstanceOf(StreamTombstonedException.class, refused.getCause());
        append(restarted, "capped", 4, event(UUID.randomUUID(), "c5"));
        assertEveryMemberShows("capped", "[4, 5]");
        assertEveryMemberShows("dead", "StreamTombstonedException");
    }

    @Test
    void refusedChangesThroughAFollowerChangeNothingAndRacingAppendsAreDecidedAlike() throws Exception {
        startThree(Duration.ofSeconds(10), 100_000);
        ReplicaNode follower = cluster.follower();
        append(nodes.get(0), "acct", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "a"), event(UUID.randomUUID(), "b"));
        cluster.awaitSameLogs();
        long end = follower.log.committedPosition();
        ExecutionException conflict = assertThrows(ExecutionException.class,
                () -> change(follower, "acct", StreamChange.delete(), 0));
        WrongExpectedVersionException w = assertInstanceOf(WrongExpectedVersionException.class, conflict.getCause());
        assertEquals(0, w.expected());
        assertEquals(1, w.current());
        ExecutionException none = assertThrows(ExecutionException.class,
                () -> change(follower, "never", StreamChange.delete(), ExpectedVersion.ANY));
        assertEquals("never", assertInstanceOf(StreamNotFoundException.class, none.getCause()).stream());
        assertEveryMemberShows("acct", "[0, 1]");
        for (ReplicaNode n : nodes) {
            assertEquals(end, n.log.committedPosition(), "the refusals wrote nothing on " + n.config.nodeId());
            assertEquals(StreamMetadata.NONE, n.store.metadata("acct").metadata());
        }

        // A delete racing appends through other members lands at one place among them, the same on every member.
        append(nodes.get(0), "race", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "first"));
        List<java.util.concurrent.CompletableFuture<?>> sent = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            sent.add(nodes.get(i % 2).raft.writer().write("race", List.of(event(UUID.randomUUID(), "r" + i)),
                    ExpectedVersion.ANY, null, null, false).toCompletableFuture());
            if (i == 20) {
                sent.add(nodes.get(2).raft.writer().changeStream("race", StreamChange.delete(), ExpectedVersion.ANY)
                        .toCompletableFuture());
            }
        }
        java.util.concurrent.CompletableFuture.allOf(sent.toArray(java.util.concurrent.CompletableFuture[]::new))
                .get(30, TimeUnit.SECONDS);
        cluster.awaitSameLogs();
        long deletedBefore = nodes.get(0).store.metadata("race").metadata().deletedBefore();
        assertTrue(deletedBefore > 0 && deletedBefore <= 41, "the delete hid the appends before it: " + deletedBefore);
        String shown = view(nodes.get(0), "race");
        for (ReplicaNode n : nodes) {
            assertEquals(deletedBefore, n.store.metadata("race").metadata().deletedBefore(), n.config.nodeId());
            assertEquals(shown, view(n, "race"), n.config.nodeId());
        }
    }
}
