package io.strand.cluster;

import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ForkJoinPool;

import static io.strand.cluster.TestCluster.append;
import static io.strand.cluster.TestCluster.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Appends do not start a thread each. Where the JVM sees two CPUs or fewer (this project's machine;
 * a pod limited to two), the common fork-join pool has one thread and every {@code *Async} call of a
 * {@code CompletableFuture} without an executor starts a new thread: Ratis's follower handed each
 * appendEntries on so, and a follower's nudge for the commit index was scheduled so. On a bigger
 * machine the first test passes either way; the second checks the setting itself.
 */
class ThreadStartsTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    @Test
    void appendsThroughAFollowerStartNoThreadEach() throws Exception {
        cluster.startThree(dir, Duration.ofSeconds(10), 100_000);
        ReplicaNode follower = cluster.follower();
        for (int i = 0; i < 20; i++) { // the clients' and channels' threads start with the first appends
            append(follower, "warm", i - 1, event(UUID.randomUUID(), "w" + i));
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = threads.getTotalStartedThreadCount();
        int appends = 200;
        for (int i = 0; i < appends; i++) {
            append(follower, "s", i - 1, event(UUID.randomUUID(), "e" + i));
        }
        long started = threads.getTotalStartedThreadCount() - before;
        assertTrue(started < appends / 10, started + " threads started during " + appends
                + " appends through a follower (common pool parallelism " + ForkJoinPool.getCommonPoolParallelism() + ")");
        cluster.awaitSameLogs();
    }

    @Test
    void theLeadersOwnAppendsGoToItsServerInProcessAndAFollowersThroughItsClient() throws Exception {
        cluster.startThree(dir, Duration.ofSeconds(10), 100_000);
        ReplicaNode leader = cluster.awaitLeader();
        ReplicaNode follower = cluster.follower();
        // The first may go through the client: the leader's state machine hears it leads a moment after Ratis says so.
        append(leader, "l", -1, event(UUID.randomUUID(), "first"));
        long before = leader.raft.clientRequests();
        for (int i = 0; i < 50; i++) {
            append(leader, "l", i, event(UUID.randomUUID(), "l" + i));
        }
        assertEquals(before, leader.raft.clientRequests(), "the leader sent its own entries through its Ratis client");
        long followerBefore = follower.raft.clientRequests();
        append(follower, "f", -1, event(UUID.randomUUID(), "f"));
        assertEquals(followerBefore + 1, follower.raft.clientRequests());
        cluster.awaitSameLogs();
    }

    @Test
    void ratisAppendsInlineCachesTwoSegmentsAndTakesRaftKeysGivenToTheJvm() throws Exception {
        ClusterConfig config = ReplicaNode.configs(dir, 3, Duration.ofSeconds(5), 1000).get(0);
        assertFalse(RaftServerConfigKeys.Log.appendEntriesComposeEnabled(RaftProps.server(config)));
        assertEquals(2, RaftServerConfigKeys.Log.segmentCacheNumMax(RaftProps.server(config)));

        Properties given = new Properties();
        given.setProperty("raft.server.log.preallocated.size", "64KB");
        given.setProperty("strand.cluster.node-id", "n9"); // not Ratis's
        var p = RaftProps.server(config);
        RaftProps.overrides(p, given);
        assertEquals(64 << 10, RaftServerConfigKeys.Log.preallocatedSize(p).getSize());
        assertEquals(null, p.get("strand.cluster.node-id"));
    }
}
