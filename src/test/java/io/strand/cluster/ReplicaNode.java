package io.strand.cluster;

import io.strand.log.CommitLog;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;
import io.strand.log.RecordDescriptor;
import io.strand.store.EventStore;
import io.strand.store.StoreConfig;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** One replica in a test: a CommitLog and store in its own directory, and its Raft member on 127.0.0.1. */
final class ReplicaNode implements AutoCloseable {
    final ClusterConfig config;
    final Path dataDir;
    CommitLog log;
    EventStore store;
    RaftNode raft;
    /** Null: the production way (the leader's HTTP API); else how a lagging member reads a leader's log. */
    private final Function<String, LeaderLog> leaderLogs;
    /** Ratis's log segment size, when a test needs purges after a few hundred entries (0: RaftProps's). */
    private final long raftSegmentBytes;

    private ReplicaNode(ClusterConfig config, Path dataDir, Function<String, LeaderLog> leaderLogs, long raftSegmentBytes) {
        this.config = config;
        this.dataDir = dataDir;
        this.leaderLogs = leaderLogs;
        this.raftSegmentBytes = raftSegmentBytes;
    }

    /** Configurations for {@code n} members with free ports, data under {@code root/n1...}. */
    static List<ClusterConfig> configs(Path root, int n, Duration requestTimeout, long snapshotThreshold) throws IOException {
        return configs(root, n, requestTimeout, snapshotThreshold, false, 16);
    }

    /** As above, with the Raft log purged up to each snapshot ({@code purgeUpToSnapshot}) every {@code purgeGap} entries. */
    static List<ClusterConfig> configs(Path root, int n, Duration requestTimeout, long snapshotThreshold,
                                       boolean purgeUpToSnapshot, int purgeGap) throws IOException {
        List<Peer> peers = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            peers.add(new Peer("n" + i, "127.0.0.1", freePort(), freePort()));
        }
        List<ClusterConfig> configs = new ArrayList<>();
        for (Peer p : peers) {
            configs.add(new ClusterConfig(p.id(), peers, root.resolve(p.id()).resolve("raft"), Duration.ofMillis(300),
                    requestTimeout, snapshotThreshold, purgeUpToSnapshot, purgeGap, 1000, 64 * 1024));
        }
        return configs;
    }

    static ReplicaNode start(ClusterConfig config) throws IOException {
        return start(config, null, 0);
    }

    /** A member that reads a lagging leader's log through {@code leaderLogs}, with Ratis log segments of {@code raftSegmentBytes}. */
    static ReplicaNode start(ClusterConfig config, Function<String, LeaderLog> leaderLogs, long raftSegmentBytes)
            throws IOException {
        ReplicaNode node = new ReplicaNode(config, config.raftDir().getParent(), leaderLogs, raftSegmentBytes);
        node.open();
        return node;
    }

    /** Opens the log and store, then starts the Raft member (after {@link #stop()}: a restart). */
    void open() throws IOException {
        log = CommitLog.open(LogConfig.defaults(dataDir).withSegmentSize(256 * 1024).withPool(true, 4, 64 * 1024)
                .withFlush(FlushMode.ASYNC, Duration.ofMillis(20)));
        store = EventStore.open(log, StoreConfig.defaults());
        if (leaderLogs == null && raftSegmentBytes == 0) {
            raft = RaftNode.start(config, store.replica());
            return;
        }
        RaftProperties p = RaftProps.server(config);
        if (raftSegmentBytes > 0) {
            RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(raftSegmentBytes));
        }
        raft = RaftNode.start(config, store.replica(), leaderLogs != null ? leaderLogs : RaftNode.httpLeaderLogs(config), p);
    }

    /** A clean stop: the Raft member, then the store and the log. */
    void stop() throws IOException {
        if (raft != null) {
            raft.close();
            raft = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
        if (log != null) {
            log.close();
            log = null;
        }
    }

    /** The committed log's bytes, from its first position. */
    byte[] logBytes() {
        long end = log.committedPosition();
        ByteBuffer out = ByteBuffer.allocate((int) end);
        for (long p = log.firstPosition(); p < end; ) {
            var slice = log.read(p, (int) Math.min(64 * 1024, end - p));
            if (slice == null) {
                break;
            }
            try {
                ByteBuffer b = slice.buffer();
                int n = b.remaining();
                if (n == 0) {
                    break;
                }
                out.put(b);
                p += n;
            } finally {
                slice.close();
            }
        }
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    /**
     * {@link #logBytes()} with the unused rest of each segment (after its end-of-segment marker's
     * header) zeroed: what any reader can see. With the pool on, that rest holds stale bytes of the
     * pool buffer (whatever it staged before), which differ between replicas that staged differently.
     */
    byte[] readableLogBytes() {
        byte[] bytes = logBytes();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        for (int at = 0; at + RecordDescriptor.MARKER_LENGTH <= bytes.length; ) {
            int length = RecordDescriptor.length(b, at);
            if (length <= 0) {
                break;
            }
            if (RecordDescriptor.isEndOfSegment(b, at)) {
                java.util.Arrays.fill(bytes, at + RecordDescriptor.MARKER_LENGTH, Math.min(bytes.length, at + length), (byte) 0);
                at += length;
            } else {
                at += RecordDescriptor.align(length);
            }
        }
        return bytes;
    }

    @Override
    public void close() throws IOException {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
