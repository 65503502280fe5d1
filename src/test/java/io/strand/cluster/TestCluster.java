package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.NewEvent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replicas of one test, and what tests of them wait for: a leader, the same log bytes everywhere.
 * A field {@code @RegisterExtension final TestCluster cluster = new TestCluster();} stops them after each test.
 */
final class TestCluster implements AutoCloseable, org.junit.jupiter.api.extension.AfterEachCallback {
    final List<ReplicaNode> nodes = new ArrayList<>();

    ReplicaNode node(String id) {
        return nodes.stream().filter(n -> n.config.nodeId().equals(id)).findFirst().orElseThrow();
    }

    /** Starts three replicas in {@code dir} and waits for a leader. */
    void startThree(java.nio.file.Path dir, java.time.Duration requestTimeout, long snapshotThreshold) throws Exception {
        for (ClusterConfig c : ReplicaNode.configs(dir, 3, requestTimeout, snapshotThreshold)) {
            nodes.add(ReplicaNode.start(c));
        }
        awaitLeader();
    }

    ReplicaNode awaitLeader() throws InterruptedException {
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

    ReplicaNode follower() throws InterruptedException {
        ReplicaNode leader = awaitLeader();
        return nodes.stream().filter(n -> n != leader && n.raft != null).findFirst().orElseThrow();
    }

    static NewEvent event(UUID id, String data) {
        return NewEvent.json(id, "happened", "{\"n\":\"" + data + "\"}");
    }

    static AppendOutcome append(ReplicaNode via, String stream, long expected, NewEvent... events) throws Exception {
        return via.raft.writer().write(stream, List.of(events), expected, null, null, false).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    /** Waits (20 s at most) until every running member committed as far, then asserts their logs are the same bytes. */
    void awaitSameLogs() throws Exception {
        awaitSameLogs(ReplicaNode::logBytes);
    }

    /**
     * As {@link #awaitSameLogs()}, but the unused rest of each segment is left out (zeroed): with the
     * pool on it holds stale pool-buffer bytes that differ between replicas that staged batches
     * differently, as a member re-applying a copy in large chunks does (reported to the log's owner).
     */
    void awaitSameReadableLogs() throws Exception {
        awaitSameLogs(ReplicaNode::readableLogBytes);
    }

    private void awaitSameLogs(java.util.function.Function<ReplicaNode, byte[]> bytes) throws Exception {
        List<ReplicaNode> up = nodes.stream().filter(n -> n.log != null).toList();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            long p0 = up.get(0).log.committedPosition();
            if (up.stream().allMatch(n -> n.log.committedPosition() == p0) || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(20);
        }
        // Committed is not yet readable through the streams: wait until each member applied that far too.
        for (ReplicaNode n : up) {
            n.store.replica().awaitApplied(n.log.committedPosition()).toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        byte[] first = bytes.apply(up.get(0));
        assertTrue(first.length > 0, "the log holds the appends");
        for (ReplicaNode n : up.subList(1, up.size())) {
            assertArrayEquals(first, bytes.apply(n), () -> n.config.nodeId() + "'s CommitLog differs from "
                    + up.get(0).config.nodeId() + "'s");
        }
    }

    @Override
    public void afterEach(org.junit.jupiter.api.extension.ExtensionContext context) throws IOException {
        close();
    }

    @Override
    public void close() throws IOException {
        for (ReplicaNode n : nodes) {
            n.close();
        }
    }
}
