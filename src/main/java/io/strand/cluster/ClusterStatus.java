package io.strand.cluster;

import java.util.List;

/**
 * What {@code GET /cluster} shows of this node: its role, the leader it knows (null: none), the
 * term, the Raft commit and applied indexes, the applied (committed, readable) log position, the
 * peers, and the figures readiness and metrics use: leader changes seen, and on the leader each
 * follower's lag (Raft entries between the leader's commit index and the follower's).
 */
public record ClusterStatus(String nodeId, String role, String leader, long term, long commitIndex,
                            long appliedIndex, long appliedPosition, List<Peer> peers, long leaderChanges,
                            java.util.Map<String, Long> followerLag, boolean failed) {
    public static final String LEADER = "leader";
    public static final String FOLLOWER = "follower";
    public static final String CANDIDATE = "candidate";

    public ClusterStatus {
        followerLag = java.util.Map.copyOf(followerLag);
    }

    /** Entries committed by the group and not yet applied here. */
    public long applyLag() {
        return Math.max(0, commitIndex - appliedIndex);
    }
}
