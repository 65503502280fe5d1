package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.StoreUnavailableException;
import io.strand.store.WrongExpectedVersionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    private final List<ReplicaNode> nodes = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (ReplicaNode n : nodes) {
            n.close();
        }
    }

    private void startThree(Duration requestTimeout, long snapshotThreshold) throws Exception {
        for (ClusterConfig c : ReplicaNode.configs(dir, 3, requestTimeout, snapshotThreshold)) {
            nodes.add(ReplicaNode.start(c));
        }
        awaitLeader();
    }

    private ReplicaNode awaitLeader() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            for (ReplicaNode n : nodes) {
                if (n.raft != null && ClusterStatus.LEADER.equals(n.raft.status().role())) {
                    return n;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no leader within 20 s");
    }

    private ReplicaNode follower() throws InterruptedException {
        ReplicaNode leader = awaitLeader();
        return nodes.stream().filter(n -> n != leader && n.raft != null).findFirst().orElseThrow();
    }

    private static NewEvent event(UUID id, String data) {
        return NewEvent.json(id, "happened", "{\"n\":\"" + data + "\"}");
    }

    private static AppendOutcome append(ReplicaNode via, String stream, long expected, NewEvent... events) throws Exception {
        return via.raft.writer().write(stream, List.of(events), expected, null, null).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    private void awaitSameLogs() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            long p0 = nodes.get(0).log.committedPosition();
            if (nodes.stream().allMatch(n -> n.log.committedPosition() == p0) || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(20);
        }
        byte[] first = nodes.get(0).logBytes();
        assertTrue(first.length > 0, "the log holds the appends");
        for (ReplicaNode n : nodes.subList(1, nodes.size())) {
            assertArrayEquals(first, n.logBytes(), () -> n.config.nodeId() + "'s CommitLog differs from n1's");
        }
    }

    @Test
    void appendsThroughAnyMemberReachEveryLogAsTheSameBytes() throws Exception {
        startThree(Duration.ofSeconds(10), 100_000);
        ReplicaNode follower = follower();
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
        awaitSameLogs();
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
        awaitSameLogs();
        assertEquals(0, nodes.get(2).store.streamInfo("acct").lastVersion());
    }

    @Test
    void aRestartedMemberCatchesUpWithoutApplyingAnythingTwice() throws Exception {
        startThree(Duration.ofSeconds(10), 20);
        ReplicaNode stopped = follower();
        append(stopped, "before", ExpectedVersion.ANY, event(UUID.randomUUID(), "0"));
        awaitSameLogs();
        stopped.stop();
        ReplicaNode leader = awaitLeader();
        for (int i = 0; i < 60; i++) { // past the snapshot threshold: snapshots are taken meanwhile
            append(leader, "during", ExpectedVersion.ANY, event(UUID.randomUUID(), "d" + i));
        }
        stopped.open();
        append(stopped, "after", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "z"));
        awaitSameLogs();
        assertEquals(59, stopped.store.streamInfo("during").lastVersion());
        assertEquals(0, stopped.store.streamInfo("before").lastVersion(), "nothing applied twice");
    }

    @Test
    void aMemberWithoutAMajorityRefusesAppendsAsUnavailable() throws Exception {
        startThree(Duration.ofSeconds(2), 100_000);
        append(nodes.get(0), "x", ExpectedVersion.ANY, event(UUID.randomUUID(), "1"));
        awaitSameLogs();
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
    }
}
