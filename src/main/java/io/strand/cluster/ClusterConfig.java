package io.strand.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The cluster's settings, as plain values (built at the edge from {@code strand.cluster.*}).
 *
 * @param nodeId            this node's id, one of {@code peers}
 * @param peers             every member of the Raft group, this node included
 * @param raftDir           where Ratis keeps its log and snapshots ({@code <data-dir>/raft})
 * @param electionTimeout   the shortest election timeout (the longest is twice it)
 * @param requestTimeout    how long an append may take through Raft before it fails as unavailable
 * @param snapshotThreshold Raft entries between snapshots (a snapshot is the CommitLog flushed)
 * @param snapshotBytes     bytes of Raft entries applied between snapshots, whichever comes first
 * @param purgeUpToSnapshot purge the Raft log up to the snapshot even when a follower still needs
 *                          older entries (it then installs the snapshot from the leader's log)
 * @param purgeGap          Raft entries kept behind a purge
 * @param readyMaxLag       readiness: applied index at most this far behind the commit index
 * @param maxEntryBytes     the largest command (one batch): sizes Ratis's buffers
 * @param peerSecret        the bearer token members present to each other's HTTP API ({@code GET /log}), or null
 * @param peerTrust         a PEM file of the certificates members' HTTPS is trusted by (their HTTP
 *                          ports then take HTTPS), or null for plain HTTP
 * @param raftTls           mutual TLS on the Raft traffic, or null for plain gRPC
 */
public record ClusterConfig(String nodeId, List<Peer> peers, Path raftDir, Duration electionTimeout,
                            Duration requestTimeout, long snapshotThreshold, long snapshotBytes, boolean purgeUpToSnapshot, int purgeGap,
                            long readyMaxLag, int maxEntryBytes, String peerSecret, Path peerTrust,
                            RaftTls raftTls) {
    /** Without a peer secret: members' HTTP APIs serve each other unauthenticated (loopback, tests). */
    public ClusterConfig(String nodeId, List<Peer> peers, Path raftDir, Duration electionTimeout, Duration requestTimeout,
                         long snapshotThreshold, boolean purgeUpToSnapshot, int purgeGap, long readyMaxLag, int maxEntryBytes) {
        this(nodeId, peers, raftDir, electionTimeout, requestTimeout, snapshotThreshold, DEFAULT_SNAPSHOT_BYTES, purgeUpToSnapshot,
                purgeGap, readyMaxLag, maxEntryBytes, null, null, null);
    }

    /** {@code strand.cluster.snapshot-bytes}'s default: four of Ratis's 64 MiB log segments. */
    public static final long DEFAULT_SNAPSHOT_BYTES = 256L << 20;

    /** This configuration with {@code bytes} of Raft entries between snapshots. */
    public ClusterConfig withSnapshotBytes(long bytes) {
        return new ClusterConfig(nodeId, peers, raftDir, electionTimeout, requestTimeout, snapshotThreshold, bytes,
                purgeUpToSnapshot, purgeGap, readyMaxLag, maxEntryBytes, peerSecret, peerTrust, raftTls);
    }

    public ClusterConfig {
        peers = List.copyOf(peers);
        if (peers.stream().noneMatch(p -> p.id().equals(nodeId))) {
            throw new IllegalArgumentException("strand.cluster.node-id=" + nodeId + " is not among strand.cluster.peers "
                    + peers.stream().map(Peer::id).toList());
        }
        if (snapshotBytes < 1) {
            throw new IllegalArgumentException("strand.cluster.snapshot-bytes must be positive: " + snapshotBytes);
        }
        if (electionTimeout.toMillis() < 100) {
            throw new IllegalArgumentException("strand.cluster.election-timeout must be at least 100ms: " + electionTimeout);
        }
    }

    @Override
    public String toString() { // never the secret
        return "ClusterConfig[nodeId=" + nodeId + ", peers=" + peers + ", raftDir=" + raftDir + ", electionTimeout="
                + electionTimeout + ", requestTimeout=" + requestTimeout + ", peerSecret=" + (peerSecret == null ? "none" : "set") + ", peerTrust=" + peerTrust + ", raftTls=" + raftTls + "]";
    }

    /** See {@link #entryBytes}: Ratis's buffers are twice an entry, and its sizes are ints. */
    static final long MAX_ENTRY_BYTES = 256L << 20;

    /**
     * The largest Raft entry (one command, or the commands coalesced into it) for batches of at most
     * {@code maxBatchBytes} framed bytes that arrive in request bodies of at most {@code maxBodyBytes}.
     * With the pool on a batch fits a pool buffer (4 MiB); with it off it may fill a segment (1 GiB by
     * default), far beyond any request, and sizing Ratis's buffers by that overflowed them (a node
     * with the pool off did not start). A command is at most about twice its body: JSON's shortest
     * events grow by a 16-byte id and the command's framing.
     */
    public static int entryBytes(int maxBatchBytes, long maxBodyBytes) {
        long commands = Math.max(4L << 20, 2 * Math.max(0, maxBodyBytes));
        return (int) Math.min(Math.min(maxBatchBytes, commands), MAX_ENTRY_BYTES);
    }

    public Peer self() {
        return peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow();
    }
}
