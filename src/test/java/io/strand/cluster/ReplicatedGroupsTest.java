package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.Direction;
import io.strand.store.ExpectedVersion;
import io.strand.store.InvalidRequestException;
import io.strand.store.NewEvent;
import io.strand.store.StoreUnavailableException;
import io.strand.store.groups.Delivery;
import io.strand.store.groups.GroupConsumer;
import io.strand.store.groups.GroupSettings;
import io.strand.store.groups.GroupStatus;
import io.strand.store.groups.SharedGroups;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.strand.cluster.TestCluster.append;
import static io.strand.cluster.TestCluster.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared groups in a cluster (three in-process replicas over real Raft sockets): their records go
 * through the Raft log fenced by the leader's term, so every replica holds them and a deposed
 * leader's are refused everywhere; the next leader loads the groups from its own log and goes on
 * where the acks left off. (The packaged cluster with forwarding and kill -9 is ClusterIT.)
 */
class ReplicatedGroupsTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private void startThree() throws Exception {
        cluster.startThree(dir, Duration.ofSeconds(10), 100_000);
    }

    /** The term of {@code n} once it is a ready leader (it has applied its first entry of the term). */
    private static long readyTerm(ReplicaNode n) throws InterruptedException {
        for (int i = 0; i < 400; i++) {
            long t = n.raft.leaderTerm();
            if (t > 0) {
                return t;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(n.config.nodeId() + " is not a ready leader within 20 s");
    }

    private static List<NewEvent> records(int n) {
        List<NewEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new NewEvent(UUID.randomUUID(), "shared-group", new byte[]{(byte) i}, null, true));
        }
        return out;
    }

    private static Throwable failure(java.util.concurrent.CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
        }
        throw new AssertionError("expected a refusal");
    }

    @Test
    void systemAppendsReachEveryReplicaAndAStaleTermIsRefusedEverywhere() throws Exception {
        startThree();
        ReplicaNode leader = cluster.awaitLeader();
        long term = readyTerm(leader);
        AppendOutcome first = leader.raft.systemWriter(term).append("$pg-g", records(3)).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertEquals(0, first.firstVersion());
        assertEquals(2, first.lastVersion());

        Throwable stale = failure(leader.raft.systemWriter(term - 1).append("$pg-g", records(1)));
        assertInstanceOf(StoreUnavailableException.class, stale, stale.toString());
        Throwable later = failure(cluster.follower().raft.systemWriter(term + 1).append("$pg-g", records(1)));
        assertInstanceOf(StoreUnavailableException.class, later, later.toString());
        // the streams with commands of their own, and names a user could write, are refused
        assertInstanceOf(InvalidRequestException.class, failure(leader.raft.systemWriter(term).append("$meta", records(1))));
        assertInstanceOf(InvalidRequestException.class, failure(leader.raft.systemWriter(term).append("orders", records(1))));
        assertInstanceOf(InvalidRequestException.class, failure(leader.raft.writer()
                .write("$pg-g", records(1), ExpectedVersion.ANY, null, null, false)));

        AppendOutcome next = cluster.follower().raft.systemWriter(term).append("$pg-g", records(1)).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertEquals(3, next.firstVersion(), "nothing refused was written");
        cluster.awaitSameLogs();
        for (ReplicaNode n : cluster.nodes) {
            assertEquals(3, n.store.streamInfo("$pg-g").lastVersion(), n.config.nodeId());
            assertEquals(4, n.store.readStream("$pg-g", 0, 10, Direction.FORWARD).events().size());
        }
    }

    /** Collects deliveries; acks are made by the test. */
    private static final class Consumer implements GroupConsumer {
        final LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();

        @Override
        public void deliver(Delivery delivery) {
            got.add(delivery);
        }

        @Override
        public void end(String why) {
        }
    }

    @Test
    void theNextLeaderLoadsTheGroupsAndDeliversOnlyWhatWasNotAcked() throws Exception {
        startThree();
        ReplicaNode leader = cluster.awaitLeader();
        for (int i = 0; i < 40; i++) {
            append(cluster.nodes.get(i % 3), "orders", ExpectedVersion.ANY, event(UUID.randomUUID(), "o" + i));
        }
        long term = readyTerm(leader);
        SharedGroups groups = SharedGroups.open(leader.store, leader.raft.systemWriter(term), () -> { });
        Set<Long> acked = new HashSet<>();
        try {
            GroupSettings settings = new GroupSettings("orders", List.of(), List.of(), GroupSettings.START, 60, 5, 10,
                    GroupSettings.Strategy.ROUND_ROBIN);
            assertTrue(groups.put("g", settings).toCompletableFuture().get(30, TimeUnit.SECONDS));
            Consumer c = new Consumer();
            groups.attach("g", c).toCompletableFuture().get(30, TimeUnit.SECONDS);
            List<UUID> ids = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Delivery d = c.got.poll(30, TimeUnit.SECONDS);
                assertNotNull(d, "delivery " + i);
                ids.add(d.event().id());
                acked.add(d.event().version());
            }
            groups.ack("g", ids).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            groups.close("test: the leader stops");
        }
        long lastRecord = leader.store.streamInfo("$pg-g").lastVersion(); // the ack's, just applied on the leader
        leader.stop(); // at once: the followers hold the ack's entry but learn it is committed only from the next leader

        ReplicaNode next = cluster.awaitLeader();
        assertNotEquals(leader, next);
        long nextTerm = readyTerm(next);
        // A ready leader has applied all that earlier terms committed, the last ack included (before it
        // is ready, even its commit index may not include it: loading then delivered acked events again).
        assertEquals(lastRecord, next.store.streamInfo("$pg-g").lastVersion());
        assertTrue(nextTerm > term);
        // The deposed term's writer is refused now, on every replica alike.
        assertInstanceOf(StoreUnavailableException.class, failure(next.raft.systemWriter(term).append("$pg-g", records(1))));
        next.raft.awaitCommittedApplied().toCompletableFuture().get(30, TimeUnit.SECONDS);
        // A linearizable read on the new leader answers (it timed out when read-only requests went
        // through the Raft client's ordered window, behind requests to the stopped leader).
        next.raft.writer().linearizable().toCompletableFuture().get(30, TimeUnit.SECONDS);
        SharedGroups after = SharedGroups.open(next.store, next.raft.systemWriter(nextTerm), () -> { });
        try {
            GroupStatus s = after.status("g").toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals("orders", s.settings().stream());
            Consumer c = new Consumer();
            after.attach("g", c).toCompletableFuture().get(30, TimeUnit.SECONDS);
            Set<Long> delivered = new HashSet<>();
            for (int i = 0; i < 30; i++) {
                Delivery d = c.got.poll(30, TimeUnit.SECONDS);
                assertNotNull(d, "delivery " + i + " after the failover");
                assertTrue(delivered.add(d.event().version()), "delivered once: " + d.event().version());
                after.ack("g", List.of(d.event().id())).toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            delivered.retainAll(acked);
            assertEquals(Set.of(), delivered, "nothing acked before the failover is delivered again");
            assertEquals(null, c.got.poll(500, TimeUnit.MILLISECONDS));
            GroupStatus end = after.status("g").toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(30, end.acked());
            assertEquals(0, end.inFlight());
        } finally {
            after.close();
        }
    }
}
