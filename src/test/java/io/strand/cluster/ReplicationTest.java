package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.ExpectedVersion;
import io.strand.store.StoreUnavailableException;
import io.strand.store.WrongExpectedVersionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three replicas in one JVM, each with its own CommitLog and store, talking Raft over real sockets on
 * 127.0.0.1: appends through any member reach every log as the same bytes, conflicts and re-sends
 * answer alike everywhere, a restarted member catches up without applying anything twice, and a
 * member without a majority refuses appends as unavailable. (The packaged three-process cluster
 * with kill -9 and SIGSTOP is ClusterIT.)
 */
class ReplicationTest {
    @TempDir
    Path dir;
    private final TestCluster cluster = new TestCluster();
    private final List<ReplicaNode> nodes = cluster.nodes;

    @AfterEach
    void stopAll() throws Exception {
        cluster.close();
    }

    private void startThree(Duration requestTimeout, long snapshotThreshold) throws Exception {
        for (ClusterConfig c : ReplicaNode.configs(dir, 3, requestTimeout, snapshotThreshold)) {
            nodes.add(ReplicaNode.start(c));
        }
        cluster.awaitLeader();
    }

    @Test
    void appendsThroughAnyMemberReachEveryLogAsTheSameBytes() throws Exception {
        startThree(Duration.ofSeconds(10), 100_000);
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
            sent.add(via.raft.writer().write("c-" + (i % 5), List.of(event(UUID.randomUUID(), "e" + i)), expected, null, null)
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
                () -> last.raft.linearizableBarrier().toCompletableFuture().get(10, TimeUnit.SECONDS));
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
}
