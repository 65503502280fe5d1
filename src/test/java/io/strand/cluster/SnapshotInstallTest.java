package io.strand.cluster;

import io.strand.store.Direction;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.RecordedEvent;
import io.strand.store.StreamChange;
import io.strand.store.StreamInfo;
import io.strand.store.StreamMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.strand.cluster.TestCluster.append;
import static io.strand.cluster.TestCluster.event;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A follower that was down while the leader took snapshots and purged its Raft log up to them
 * ({@code purgeUpToSnapshot}) cannot catch up from the leader's Raft log: Ratis tells it to install
 * the leader's snapshot, and it copies the leader's CommitLog up to the snapshot's position (here
 * read in-process, as {@code GET /log} serves it; ClusterIT does it over HTTP). Its log then holds
 * the leader's bytes, its store reads the streams, group positions and stream lifecycle changes
 * (soft delete, tombstone, settings), and replication goes on.
 */
class SnapshotInstallTest {
    /** Small Ratis log segments: a purge only ever deletes closed segments. */
    private static final long RAFT_SEGMENT_BYTES = 32 * 1024;
    private static final int STREAMS = 5;

    @TempDir
    Path dir;
    @RegisterExtension
    final TestCluster cluster = new TestCluster();
    private final Map<String, InProcessLeaderLog> served = new ConcurrentHashMap<>();

    private void startThree() throws Exception {
        for (ClusterConfig c : ReplicaNode.configs(dir, 3, Duration.ofSeconds(10), 50, true, 1)) {
            cluster.nodes.add(ReplicaNode.start(c, this::leaderLog, RAFT_SEGMENT_BYTES));
        }
        cluster.awaitLeader();
    }

    private LeaderLog leaderLog(String id) {
        return served.computeIfAbsent(id, k -> new InProcessLeaderLog(cluster.node(k)));
    }

    @Test
    void aFollowerBehindThePurgePointCopiesTheLeadersCommitLog() throws Exception {
        startThree();
        append(cluster.nodes.get(0), "s-0", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "first"));
        cluster.awaitSameLogs();
        ReplicaNode stopped = cluster.follower();
        long heldWhenStopped = stopped.store.replica().lastRaftIndex();
        stopped.stop();

        ReplicaNode leader = cluster.awaitLeader();
        int events = 1 + appendMany(leader, 400, 8); // 3200 events, ~60 snapshots, several segments of each log
        leader.raft.writer().commitGroup("g1", "s-1", 42).toCompletableFuture().get(30, TimeUnit.SECONDS);
        changeLifecycles(leader);
        append(leader, "bin", ExpectedVersion.NO_STREAM, new NewEvent(UUID.randomUUID(), "blob",
                new byte[]{0, 1, 2, (byte) 0xFF}, "{\"m\":1}".getBytes(StandardCharsets.UTF_8), true));
        events += appendMany(leader, 60, 2); // past another snapshot: the one copied holds the group commit
        awaitPurgedBeyond(leader, heldWhenStopped + 1);

        stopped.open();
        ClusterStatus restarted = awaitInstalled(stopped);
        cluster.awaitSameLogs();
        assertEquals(1, stopped.raft.status().snapshotsInstalled(), "installed once");
        SnapshotFile installed = restarted.snapshot();
        assertNotNull(installed);
        assertTrue(installed.index() > heldWhenStopped, () -> "installed " + installed);
        assertTrue(leader.store.readEvent("bin", 0).position() < installed.position(),
                "the group commit and the binary event came through the copy");
        assertTrue(served.values().stream().mapToLong(l -> l.bytes.get()).sum() > 0, "read the leader's log");
        for (int s = 0; s < STREAMS; s++) {
            assertEquals(leader.store.streamInfo("s-" + s), stopped.store.streamInfo("s-" + s));
        }
        assertEquals(events, Stream.of(0, 1, 2, 3, 4).mapToLong(s -> stopped.store.streamInfo("s-" + s).lastVersion() + 1).sum());
        assertEquals(OptionalLong.of(42), stopped.store.groupVersion("g1", "s-1"), "group positions rebuilt");
        RecordedEvent blob = stopped.store.readEvent("bin", 0);
        assertArrayEquals(new byte[]{0, 1, 2, (byte) 0xFF}, blob.data());
        RecordedEvent original = leader.store.readEvent("bin", 0);
        assertEquals(List.of(original.position(), original.id(), original.timestamp(), original.type()),
                List.of(blob.position(), blob.id(), blob.timestamp(), blob.type()));
        assertArrayEquals(original.metadata(), blob.metadata());
        long lastChange = leader.store.streamInfo("$meta").lastVersion();
        assertTrue(leader.store.readEvent("$meta", lastChange).position() < installed.position(),
                "the stream changes came through the copy");
        assertLifecycles(leader, stopped);

        // Replication goes on, through the member that installed the snapshot too.
        long before = stopped.store.streamInfo("s-2").lastVersion();
        append(stopped, "s-2", before, event(UUID.randomUUID(), "after"));
        cluster.awaitSameLogs();
        assertEquals(before + 1, cluster.node(leader.config.nodeId()).store.streamInfo("s-2").lastVersion());

        // A restart starts from the installed snapshot: nothing applied twice, nothing installed again.
        stopped.stop();
        stopped.open();
        append(cluster.awaitLeader(), "s-3", ExpectedVersion.ANY, event(UUID.randomUUID(), "after restart"));
        cluster.awaitSameLogs();
        assertEquals(0, stopped.raft.status().snapshotsInstalled());
        assertEquals(before + 1, stopped.store.streamInfo("s-2").lastVersion());
        assertEquals(OptionalLong.of(42), stopped.store.groupVersion("g1", "s-1"));
        assertLifecycles(cluster.awaitLeader(), stopped); // rebuilt from the copied $meta events at open
    }

    private static final List<String> CHANGED = List.of("deleted", "tomb", "revived", "capped");

    /** A soft delete, a delete with an append after it, a tombstone and settings, made through {@code via}. */
    private static void changeLifecycles(ReplicaNode via) throws Exception {
        append(via, "deleted", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "d0"), event(UUID.randomUUID(), "d1"));
        change(via, "deleted", StreamChange.delete(), 1);
        append(via, "tomb", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "t0"));
        change(via, "tomb", StreamChange.tombstone(), ExpectedVersion.ANY);
        append(via, "revived", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "r0"));
        change(via, "revived", StreamChange.delete(), 0);
        append(via, "revived", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "r1"));
        for (int i = 0; i < 6; i++) {
            append(via, "capped", ExpectedVersion.ANY, event(UUID.randomUUID(), "c" + i));
        }
        change(via, "capped", StreamChange.set(StreamMetadata.settings(2L, 3600L, null, "{\"k\":\"v\"}")), 5);
    }

    private static void change(ReplicaNode via, String stream, StreamChange change, long expected) throws Exception {
        via.raft.writer().changeStream(stream, change, expected).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** Each changed stream's metadata and visible versions (or the refusal), and the stream list. */
    private static List<String> lifecycles(ReplicaNode n) {
        List<String> out = new ArrayList<>();
        for (String s : CHANGED) {
            out.add(refusalOr(() -> n.store.metadata(s).toString()));
            out.add(refusalOr(() -> n.store.readStream(s, 0, 100, Direction.FORWARD).events().stream()
                    .map(RecordedEvent::version).toList().toString()));
        }
        out.add(n.store.listStreams(0, 100).streams().stream().map(StreamInfo::name).filter(CHANGED::contains).sorted().toList().toString());
        return out;
    }

    private static String refusalOr(java.util.function.Supplier<String> read) {
        try {
            return read.get();
        } catch (RuntimeException refused) {
            return refused.getClass().getSimpleName();
        }
    }

    /** {@code follower} reports every changed stream exactly as the leader, which shows the changes made. */
    private static void assertLifecycles(ReplicaNode leader, ReplicaNode follower) {
        List<String> expected = lifecycles(leader);
        assertEquals("StreamDeletedException", expected.get(1));
        assertEquals("StreamTombstonedException", expected.get(2));
        assertEquals("StreamTombstonedException", expected.get(3));
        assertEquals("[1]", expected.get(5));
        assertEquals("[4, 5]", expected.get(7));
        assertTrue(expected.get(6).contains("maxCount=2, maxAge=3600"), expected.get(6));
        assertEquals("[capped, revived]", expected.get(8));
        assertEquals(expected, lifecycles(follower), follower.config.nodeId() + " reports the streams as the leader");
    }

    /**
     * {@code appends} batches of {@code batch} events over the streams, as many in flight as a member
     * sends entries at once, so that each goes in a Raft entry of its own (more would share entries,
     * and the entries would not pass the snapshot threshold); returns the events.
     */
    private static int appendMany(ReplicaNode via, int appends, int batch) throws Exception {
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        for (int i = 0; i < appends; i++) {
            List<NewEvent> events = new ArrayList<>();
            for (int j = 0; j < batch; j++) {
                events.add(event(UUID.randomUUID(), "e" + i + "." + j));
            }
            inFlight.add(via.raft.writer().write("s-" + i % STREAMS, events, ExpectedVersion.ANY, null, null, true)
                    .toCompletableFuture());
            if (inFlight.size() == ReplicatedWriter.ENTRIES_IN_FLIGHT) {
                CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                inFlight.clear();
            }
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        return appends * batch;
    }

    /** Waits until {@code node} installed a snapshot from the leader (the copy and the snapshot file done). */
    private static ClusterStatus awaitInstalled(ReplicaNode node) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            ClusterStatus s = node.raft.status();
            if (s.snapshotsInstalled() > 0) {
                return s;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(node.config.nodeId() + " installed no snapshot within 30 s: " + node.raft.status());
    }

    /** Waits until the leader's Raft log starts after {@code index} (its segment files say so): purged. */
    private static void awaitPurgedBeyond(ReplicaNode leader, long index) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long first = -1;
        while (System.nanoTime() < deadline) {
            first = firstRaftLogIndex(leader.config.raftDir());
            if (first > index) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the leader's Raft log still starts at " + first + ", not after " + index);
    }

    /** The first index of a Raft log: Ratis names segment files log_<first>-<last> and log_inprogress_<first>. */
    private static long firstRaftLogIndex(Path raftDir) throws IOException {
        try (Stream<Path> files = Files.walk(raftDir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("log_"))
                    .mapToLong(n -> Long.parseLong(n.replace("log_inprogress_", "").replace("log_", "").split("-")[0]))
                    .min().orElse(-1);
        }
    }
}
