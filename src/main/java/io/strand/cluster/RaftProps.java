package io.strand.cluster;

import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Ratis's settings from a {@link ClusterConfig}: one place that says which knobs Strand turns and why. */
final class RaftProps {
    private RaftProps() {
    }

    static RaftProperties server(ClusterConfig config) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(config.raftDir().toFile()));
        Peer self = config.self();
        GrpcConfigKeys.Server.setPort(p, self.raftPort());
        // Bind the address peers use when it is a literal one (tests on 127.0.0.1); a DNS name (a
        // Kubernetes pod's) may not resolve yet when the pod starts, so bind every interface then.
        GrpcConfigKeys.Server.setHost(p, isLiteral(self.host()) ? self.host() : "0.0.0.0");
        long election = config.electionTimeout().toMillis();
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(election, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(2 * election, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(Math.max(3000, 2 * election), TimeUnit.MILLISECONDS));
        // A leader that hears from no majority steps down soon (Ratis waits 10 s by default): a cut-off
        // node then reports no leader, so readiness drops and clients go elsewhere.
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p,
                TimeDuration.valueOf(2 * election, TimeUnit.MILLISECONDS));
        // Linearizable reads on any node: ReadIndex through the leader, then wait to apply that far.
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        // No commit-index entry after every committed entry (Ratis's default): it doubled the entries
        // each replica forces and sends. A restarted member learns the commit index from the leader,
        // and what it applied before is in its CommitLog.
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
        // A follower appends what the leader sends on the gRPC thread that took it (Ratis 3.3's
        // default hands it on with thenComposeAsync and no executor: a new thread per appendEntries
        // wherever the JVM sees two CPUs or fewer, 15,000 in a 3-minute benchmark on one follower).
        RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, config.purgeUpToSnapshot());
        RaftServerConfigKeys.Log.setPurgeGap(p, config.purgeGap());
        // A snapshot is the CommitLog, not a file Ratis can ship: a follower behind the purge point is
        // told to install it (notifyInstallSnapshotFromLeader) and copies the bytes from the leader's /log.
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, false);
        // One entry is one batch, up to maxEntryBytes: every buffer on its way must hold one.
        SizeInBytes entry = SizeInBytes.valueOf(Math.max(8 << 20, 2L * config.maxEntryBytes()));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(entry.getSize() + (64 << 10)));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, entry);
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(Math.max(64L << 20, 4 * entry.getSize())));
        // Ratis keeps the entries of its last segments in the heap, and loads the last ones' entries
        // again at every start: six by default, 384 MiB of 64 MiB segments. A member restarted with
        // -Xmx1g after a busy quarter hour held 273 MB of them before it applied anything, and ran
        // out of heap once it caught up (cluster benchmark, 2026-12-07). Two segments still hold
        // every entry the members have yet to apply or send; older ones are read from the file.
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(entry.getSize() + (1 << 20)));
        overrides(p, System.getProperties());
        return p;
    }

    /**
     * Ratis's own keys given to the JVM ({@code -Draft.server.log.preallocated.size=1MB}) win over
     * the settings above: an operator's and a benchmark's way to try a knob without a release.
     */
    static void overrides(RaftProperties p, java.util.Properties given) {
        for (String key : given.stringPropertyNames()) {
            if (key.startsWith("raft.")) {
                p.set(key, given.getProperty(key));
            }
        }
    }

    static RaftProperties client(ClusterConfig config) {
        RaftProperties p = new RaftProperties();
        // As long as an append may take: a busy leader answers late but answers, and a request that
        // timed out closes the ordered window with every request behind it. A leader that stopped
        // answering is left by the leader change instead (RaftClients.leaderChanged).
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(
                Math.max(config.requestTimeout().toMillis(), 2 * config.electionTimeout().toMillis()), TimeUnit.MILLISECONDS));
        // The async client blocks the caller once this many requests are outstanding: appends call it
        // on the append threads, whose own bound answers 503 long before.
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, 4096);
        SizeInBytes entry = SizeInBytes.valueOf(Math.max(8 << 20, 2L * config.maxEntryBytes()));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(entry.getSize() + (1 << 20)));
        return p;
    }

    private static boolean isLiteral(String host) {
        try {
            return host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?") && InetAddress.getByName(host) != null;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
