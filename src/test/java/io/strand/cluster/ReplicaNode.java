package io.strand.cluster;

import io.strand.log.CommitLog;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;
import io.strand.store.EventStore;
import io.strand.store.StoreConfig;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** One replica in a test: a CommitLog and store in its own directory, and its Raft member on 127.0.0.1. */
final class ReplicaNode implements AutoCloseable {
    final ClusterConfig config;
    final Path dataDir;
    CommitLog log;
    EventStore store;
    RaftNode raft;

    private ReplicaNode(ClusterConfig config, Path dataDir) {
        this.config = config;
        this.dataDir = dataDir;
    }

    /** Configurations for {@code n} members with free ports, data under {@code root/n1...}. */
    static List<ClusterConfig> configs(Path root, int n, Duration requestTimeout, long snapshotThreshold) throws IOException {
        List<Peer> peers = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            peers.add(new Peer("n" + i, "127.0.0.1", freePort(), freePort()));
        }
        List<ClusterConfig> configs = new ArrayList<>();
        for (Peer p : peers) {
            configs.add(new ClusterConfig(p.id(), peers, root.resolve(p.id()).resolve("raft"), Duration.ofMillis(300),
                    requestTimeout, snapshotThreshold, false, 16, 1000, 64 * 1024));
        }
        return configs;
    }

    static ReplicaNode start(ClusterConfig config) throws IOException {
        ReplicaNode node = new ReplicaNode(config, config.raftDir().getParent());
        node.open();
        return node;
    }

    /** Opens the log and store, then starts the Raft member (after {@link #stop()}: a restart). */
    void open() throws IOException {
        log = CommitLog.open(LogConfig.defaults(dataDir).withSegmentSize(256 * 1024).withPool(true, 4, 64 * 1024)
                .withFlush(FlushMode.ASYNC, Duration.ofMillis(20)));
        store = EventStore.open(log, StoreConfig.defaults());
        raft = RaftNode.start(config, store.replica());
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
