package io.strand.cluster;

import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.strand.cluster.TestCluster.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots come by the bytes of Raft entries applied as well as by their count
 * ({@link SnapshotTrigger}): large entries reach the bytes long before the count, and a member
 * restarted after them reads its log back from the last snapshot only.
 */
class SnapshotBytesTest {
    /** Never reached here: only the bytes can make a snapshot. */
    private static final long ENTRIES = 100_000;

    @TempDir
    Path dir;
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private void startThree(long snapshotBytes) throws Exception {
        for (ClusterConfig c : ReplicaNode.configs(dir, 3, Duration.ofSeconds(10), ENTRIES)) {
            cluster.nodes.add(ReplicaNode.start(c.withSnapshotBytes(snapshotBytes)));
        }
        cluster.awaitLeader();
    }

    @Test
    void everyMemberSnapshotsOnceItAppliedTheBytesAndARestartedOneCatchesUp() throws Exception {
        startThree(64 * 1024);
        ReplicaNode leader = cluster.awaitLeader();
        appendMany(leader, 150, 20); // ~400 KB of entries: several snapshots' worth
        cluster.awaitSameLogs();
        for (ReplicaNode n : cluster.nodes) {
            SnapshotFile s = awaitSnapshot(n);
            assertTrue(s.index() > 1 && s.position() > 0, () -> n.config.nodeId() + ": " + s);
        }

        ReplicaNode stopped = cluster.follower();
        long snapshotAtStop = stopped.raft.status().snapshot().index();
        stopped.stop();
        appendMany(cluster.awaitLeader(), 20, 20);
        stopped.open();
        cluster.awaitSameLogs();
        assertTrue(awaitSnapshot(stopped).index() >= snapshotAtStop, "the restarted member kept its snapshot");
        assertEquals(0, stopped.raft.status().snapshotsInstalled(), "caught up from the leader's Raft log, no copy");
    }

    @Test
    void belowTheBytesAndTheCountNoSnapshotIsTaken() throws Exception {
        startThree(ClusterConfig.DEFAULT_SNAPSHOT_BYTES);
        appendMany(cluster.awaitLeader(), 150, 20);
        cluster.awaitSameLogs();
        for (ReplicaNode n : cluster.nodes) {
            assertNull(n.raft.status().snapshot(), () -> n.config.nodeId() + " took a snapshot");
        }
    }

    private static SnapshotFile awaitSnapshot(ReplicaNode n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (n.raft.status().snapshot() == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        SnapshotFile s = n.raft.status().snapshot();
        assertNotNull(s, () -> n.config.nodeId() + " took no snapshot");
        return s;
    }

    private static void appendMany(ReplicaNode via, int appends, int batch) throws Exception {
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        for (int i = 0; i < appends; i++) {
            List<NewEvent> events = new ArrayList<>();
            for (int j = 0; j < batch; j++) {
                events.add(event(UUID.randomUUID(), "event " + i + "." + j + " with some padding to make it larger"));
            }
            inFlight.add(via.raft.writer().write("s-" + i % 5, events, ExpectedVersion.ANY, null, null, true).toCompletableFuture());
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }
}
