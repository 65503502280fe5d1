package io.strand.cluster;

import io.strand.store.EventWriter;
import io.strand.store.Replica;
import io.strand.store.StoreUnavailableException;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * This node's member of the Raft group: the Ratis server (with the {@link StoreStateMachine} over
 * this node's store) and the Ratis client through which this node hands appends to the leader.
 * Started after the store is open; closed before it.
 */
public final class RaftNode implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RaftNode.class.getName());
    /** One group per cluster; its id is fixed so every member (and a restarted one) names the same group. */
    static final RaftGroupId GROUP_ID = RaftGroupId.valueOf(UUID.nameUUIDFromBytes("strand".getBytes(StandardCharsets.UTF_8)));

    private final ClusterConfig config;
    private final RaftGroup group;
    private final RaftPeerId self;
    private final StoreStateMachine stateMachine;
    private final RaftServer server;
    private final RaftClients client;
    private final ReplicatedWriter writer;
    private volatile Leadership leadership = new Leadership() {
        @Override
        public void ready(long term) {
        }

        @Override
        public void lost() {
        }
    };

    /**
     * What this node is told of its leadership, on Ratis's threads (a listener must not block):
     * {@link #ready} once it leads and has applied all that earlier terms committed; {@link #lost}
     * when it learns of another leader, or of none. Either may come late or twice: check
     * {@link #leads(long)}.
     */
    public interface Leadership {
        void ready(long term);

        void lost();
    }

    private RaftNode(ClusterConfig config, Replica replica, Function<String, LeaderLog> leaderLogs,
                     RaftProperties serverProperties) throws IOException {
        this.config = config;
        List<RaftPeer> peers = config.peers().stream()
                .map(p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.raftAddress()).build()).toList();
        this.group = RaftGroup.valueOf(GROUP_ID, peers);
        this.self = RaftPeerId.valueOf(config.nodeId());
        this.stateMachine = new StoreStateMachine(replica, leaderLogs, config.snapshotBytes());
        Files.createDirectories(config.raftDir());
        RaftServer.Builder builder = RaftServer.newBuilder();
        if (config.raftTls() != null) {
            builder.setParameters(config.raftTls().parameters());
        }
        this.server = builder
                .setServerId(self)
                .setGroup(group)
                .setStateMachine(stateMachine)
                .setProperties(serverProperties)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        this.client = new RaftClients(group, config);
        LocalRequests local = new LocalRequests(server, self);
        stateMachine.askSnapshotsThrough(local);
        this.writer = new ReplicatedWriter(client, local, replica, stateMachine.applied(), config.requestTimeout(),
                Math.max(1 << 20, config.maxEntryBytes()), () -> self.equals(stateMachine.leader()));
        stateMachine.onLeaderChange(leader -> {
            if (client.leaderChanged(leader)) {
                writer.abandonInFlight();
            }
            if (!self.equals(leader)) {
                leadership.lost();
            }
        });
        stateMachine.onLeaderReady(term -> leadership.ready(term));
    }

    /** Starts this node's Raft server over {@code replica} (the open store); it then elects or joins a leader. */
    public static RaftNode start(ClusterConfig config, Replica replica) throws IOException {
        return start(config, replica, httpLeaderLogs(config), RaftProps.server(config));
    }

    /**
     * As {@link #start(ClusterConfig, Replica)}, reading a leader's snapshot and log through
     * {@code leaderLogs} (by peer id), with Ratis's {@code serverProperties} (tests shrink its log
     * segments so that a purge happens after a few hundred entries).
     */
    static RaftNode start(ClusterConfig config, Replica replica, Function<String, LeaderLog> leaderLogs,
                          RaftProperties serverProperties) throws IOException {
        RaftNode node = new RaftNode(config, replica, leaderLogs, serverProperties);
        try {
            node.server.start();
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "Raft member " + config.nodeId() + " started: peers=" + config.peers()
                + ", raftDir=" + config.raftDir());
        return node;
    }

    /** A lagging follower copies from the leader's HTTP API ({@code GET /cluster}, {@code GET /log}). */
    static Function<String, LeaderLog> httpLeaderLogs(ClusterConfig config) throws java.io.IOException {
        javax.net.ssl.SSLContext tls = config.peerTrust() == null ? null : PeerTls.trusting(config.peerTrust());
        HttpClient http = HttpLeaderLog.client(Duration.ofSeconds(5), tls);
        // A chunk is at most 64 MiB; the timeout bounds one GET, not the whole copy.
        Duration timeout = Duration.ofSeconds(Math.max(30, config.requestTimeout().toSeconds()));
        return id -> config.peers().stream().filter(p -> p.id().equals(id)).findFirst()
                .map(p -> (LeaderLog) new HttpLeaderLog(http, (tls == null ? "http://" : "https://") + p.httpAddress(), timeout,
                        config.peerSecret())).orElse(null);
    }

    /** Sets who is told when this node becomes a ready leader and when it stops leading. */
    public void onLeadership(Leadership listener) {
        leadership = listener;
    }

    /**
     * Appends to the store's own streams for a subsystem run by the leader of {@code term} (shared
     * groups): through the Raft log, refused on every replica once a later term has begun.
     */
    public io.strand.store.SystemWriter systemWriter(long term) {
        return (stream, events) -> writer.writeSystem(term, stream, events);
    }

    /**
     * Completes once this node has applied every entry its Raft log knows to be committed now. On a
     * ready leader that is all any earlier leader had committed: no round trip is needed.
     */
    public CompletionStage<Void> awaitCommittedApplied() {
        try {
            return stateMachine.applied().await(server.getDivision(GROUP_ID).getRaftLog().getLastCommittedIndex());
        } catch (IOException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(new StoreUnavailableException(
                    "the Raft member is stopping: " + e.getMessage(), 1));
        }
    }

    /**
     * The current term when this node is a ready leader now (it has applied its first entry of the
     * term, so everything earlier terms committed), else -1. Before it is ready, even its commit
     * index may be behind what the last leader committed.
     */
    public long leaderTerm() {
        try {
            DivisionInfo info = server.getDivision(GROUP_ID).getInfo();
            return info.isLeader() && info.isLeaderReady() ? info.getCurrentTerm() : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Whether this node is the ready leader of {@code term} now (see {@link #leaderTerm()}). */
    public boolean leads(long term) {
        return term > 0 && leaderTerm() == term;
    }

    /** The peer this node last learned leads the group (itself included), or null when it knows none. */
    public Peer leaderPeer() {
        RaftPeerId l = stateMachine.leader();
        return l == null ? null : config.peers().stream().filter(p -> p.id().equals(l.toString())).findFirst().orElse(null);
    }

    /** Requests this node sent through its Ratis client: see {@link RaftClients#requests()}. */
    long clientRequests() {
        return client.requests();
    }

    /** Appends and group commits through the Raft log. */
    public EventWriter writer() {
        return writer;
    }

    public ClusterStatus status() {
        String role = ClusterStatus.CANDIDATE;
        String leader = null;
        long term = 0;
        long commitIndex = 0;
        long appliedIndex = stateMachine.applied().get();
        java.util.Map<String, Long> lag = new java.util.TreeMap<>();
        try {
            var division = server.getDivision(GROUP_ID);
            DivisionInfo info = division.getInfo();
            RaftPeerRole r = info.getCurrentRole();
            role = r == RaftPeerRole.LEADER ? ClusterStatus.LEADER
                    : r == RaftPeerRole.FOLLOWER ? ClusterStatus.FOLLOWER : ClusterStatus.CANDIDATE;
            RaftPeerId l = info.getLeaderId();
            leader = l == null ? null : l.toString();
            term = info.getCurrentTerm();
            // A follower learns the leader's commit with the next entry (-1 after a start on a quiet
            // log), but whatever it applied was committed: never report less.
            commitIndex = Math.max(division.getRaftLog().getLastCommittedIndex(), appliedIndex);
            if (info.isLeader()) {
                // What the leader knows of each follower's commit index (from its append answers).
                for (var c : division.getCommitInfos()) {
                    String id = c.getServer().getId().toStringUtf8();
                    if (!id.equals(config.nodeId())) {
                        lag.put(id, Math.max(0, commitIndex - c.getCommitIndex()));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the server is stopping or stopped: report no leader
        }
        return new ClusterStatus(config.nodeId(), role, leader, term, commitIndex, appliedIndex,
                writer.appliedPosition(), config.peers(), stateMachine.leaderChanges(), lag,
                stateMachine.failure() != null, stateMachine.snapshot(), stateMachine.snapshotsInstalled());
    }

    public ClusterConfig config() {
        return config;
    }

    @Override
    public void close() {
        client.close();
        try {
            server.close();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the Raft server failed", e);
        }
    }
}
