package io.strand.ops;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.strand.store.FlushPolicy;
import io.strand.store.StorageConfig;
import io.strand.store.StoreConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * All of Strand's configuration, under the prefix {@code strand.}; every key has a default, so the
 * server runs with none. Converted once into the plain records the core layers take
 * ({@link #toStorageConfig()}, {@link #toStoreConfig()}), which never see this interface.
 */
@ConfigMapping(prefix = "strand")
public interface StrandConfig {

    /** Root of everything Strand writes; env {@code STRAND_DATA_DIR}. */
    @WithDefault("./data")
    Path dataDir();

    /** Largest encoded event (data + metadata) one append may carry. */
    @WithDefault("1M")
    MemorySize maxEventSize();

    Log log();

    Dedup dedup();

    Http http();

    Startup startup();

    Retention retention();

    Scrub scrub();

    interface Scrub {
        /** Bytes per second the background scrubber re-verifies flushed segments at most (0: no scrubber). */
        @WithDefault("64M")
        MemorySize rate();

        /** How often the scrubber starts a pass over the flushed log. */
        @WithDefault("24h")
        Duration interval();
    }

    interface Retention {
        /** Whole oldest segments whose events are all older than this are deleted (0: no age limit). */
        @WithDefault("0s")
        Duration maxAge();

        /** Whole oldest segments are deleted while the log holds more than this behind them (0: no size limit). */
        @WithDefault("0")
        MemorySize maxBytes();

        /** How often retention runs. */
        @WithDefault("10s")
        Duration checkInterval();
    }

    Health health();

    interface Startup {
        /**
         * How long the start waits for the log and store to open before the HTTP server comes up
         * (0: not at all; requests get 503 and the startup probe reports progress meanwhile).
         */
        @WithDefault("0s")
        Duration await();
    }

    interface Health {
        /** Liveness goes DOWN when the commit or flush thread made no progress with work pending this long. */
        @WithDefault("60s")
        Duration stallTimeout();

        /** Readiness goes DOWN when appends have been refused for a full pool this long. */
        @WithDefault("10s")
        Duration poolExhaustedTimeout();
    }

    Disk disk();

    interface Disk {
        /** Appends are refused with 507 while the data directory's file system has less free space than this. */
        @WithDefault("1G")
        MemorySize minFree();

        /** How often free space is measured. */
        @WithDefault("1s")
        Duration checkInterval();
    }

    Sse sse();

    interface Http {
        /** Largest request body (an atomic batch of JSON events) read before answering 413. */
        @WithDefault("4M")
        MemorySize maxBodySize();

        /** Threads that run reads and subscriptions off the event loop. */
        @WithDefault("4")
        int readThreads();

        /** Reads that may wait for a read thread before requests get 503. */
        @WithDefault("1024")
        int readQueue();

        /**
         * Threads that run appends with the transient pool off (they write into the mapping, which may
         * fault), apart from the read threads so that heavy reads never refuse appends.
         */
        @WithDefault("4")
        int appendThreads();

        /** Appends that may wait for an append thread (pool off) before requests get 503. */
        @WithDefault("1024")
        int appendQueue();

        /**
         * How long an append may wait for its commit (or flush) before the request is answered 503:
         * its outcome is then unknown, and re-sending it with the same event ids is the safe retry.
         */
        @WithDefault("30s")
        Duration appendTimeout();

        Cors cors();
    }

    /** Who may call the API (docs/SECURITY.md); with nothing configured, only loopback clients. */
    Auth auth();

    interface Auth {
        /**
         * Static bearer tokens, one per line: {@code name permissions secret}, permissions a comma list
         * of {@code read:<glob>}, {@code write:<glob>} and {@code admin}, secret the token or
         * {@code sha256:<hex>} of it. Re-read when it changes.
         */
        Optional<Path> tokensFile();

        Jwt jwt();
    }

    /** JWT bearer tokens (an OIDC provider's access tokens): on when a key location is given. */
    interface Jwt {
        /** A PEM public key or a JWK / JWK set: a file, or an http(s) URL such as a provider's jwks_uri. */
        Optional<String> publicKeyLocation();

        /** The required {@code iss}; none: any issuer. */
        Optional<String> issuer();

        /** The required {@code aud}; none: any audience. */
        Optional<String> audience();

        /** The claim holding the permissions (the strings of a tokens file: read:<glob>, write:<glob>, admin). */
        @WithDefault("strand")
        String permissionsClaim();

        /** How often the key is read again (a provider rotating its keys). */
        @WithDefault("10m")
        Duration keyRefresh();
    }

    /** Cross-origin requests from browser pages (docs/SECURITY.md). */
    interface Cors {
        /**
         * Origins ({@code https://app.example.com}, or {@code *} for any) whose pages may call the
         * API; none (the default): same origin only, and requests from any other origin get 403.
         */
        Optional<List<String>> origins();
    }

    interface Sse {
        /** Interval of the heartbeat comment on idle Server-Sent Events streams. */
        @WithDefault("15s")
        Duration heartbeat();

        /** The reconnect delay an EventSource is told in the {@code retry:} line at the start of every stream. */
        @WithDefault("1s")
        Duration retry();

        /** A filtered stream sends an {@code id:}-only frame at least every this many records it skips. */
        @WithDefault("1000")
        int checkpointRecords();
    }

    Read read();

    Cluster cluster();

    /** Replication through Apache Ratis (docs/CLUSTER.md); off by default: a single node. */
    interface Cluster {
        @WithDefault("false")
        boolean enabled();

        /** This node's id among the peers; in Kubernetes, the pod name. */
        java.util.Optional<String> nodeId();

        /** {@code id=host:raftPort:httpPort,...}, every member, this node included. */
        java.util.Optional<String> peers();

        /** The shortest Raft election timeout (the longest is twice it). */
        @WithDefault("1s")
        Duration electionTimeout();

        /** How long a read with Strand-Min-Position waits for this node to apply that far. */
        @WithDefault("5s")
        Duration readWait();

        /** Raft entries between snapshots (a snapshot forces the CommitLog; Ratis may then purge its log). */
        @WithDefault("100000")
        long snapshotThreshold();

        /**
         * Bytes of Raft entries applied between snapshots, whichever of this and the threshold comes
         * first: a restarted member reads every entry since its last snapshot, and batches make entries large.
         */
        @WithDefault("256M")
        MemorySize snapshotBytes();

        /** Purge the Raft log up to the snapshot even when a follower still needs it (it then copies the leader's log). */
        @WithDefault("false")
        boolean purgeUpToSnapshot();

        /** Raft entries kept behind a purge. */
        @WithDefault("1024")
        int purgeGap();

        /** Readiness: at most this many committed Raft entries not yet applied here. */
        @WithDefault("10000")
        long readyMaxLag();

        /**
         * The secret the members present to each other over HTTP (a follower copying the leader's
         * {@code /log}); needed once clients must authenticate, since peers then must too. The same
         * on every member (a Kubernetes Secret).
         */
        java.util.Optional<String> secret();

        /**
         * With TLS on: the PEM certificates (a CA bundle) members trust each other's HTTPS by; the
         * HTTP ports of {@code peers} are then HTTPS ports. None: members talk plain HTTP.
         */
        java.util.Optional<Path> trustCertificates();

        /** Mutual TLS on the Raft traffic between members (all three files, or none: plain gRPC). */
        RaftTlsFiles raftTls();
    }

    interface RaftTlsFiles {
        /** This member's private key, PEM PKCS#8. */
        Optional<Path> privateKey();

        /** This member's certificate (chain), PEM, naming the host of its peer entry. */
        Optional<Path> certificate();

        /** The CA certificates, PEM, a peer's certificate must chain to. */
        Optional<Path> trust();
    }

    private static io.strand.cluster.RaftTls raftTls(RaftTlsFiles f) {
        if (f.privateKey().isEmpty() && f.certificate().isEmpty() && f.trust().isEmpty()) {
            return null;
        }
        return new io.strand.cluster.RaftTls(f.privateKey().orElse(null), f.certificate().orElse(null), f.trust().orElse(null));
    }

    interface Dedup {
        /** Event ids are remembered at least this long (of appends), across restarts, for idempotent re-sends. */
        @WithDefault("10m")
        Duration window();

        /**
         * The most event ids the dedup index holds at once (about 16 bytes of heap each at most); past
         * it the oldest are forgotten before the window is over, and a warning is logged once.
         */
        @WithDefault("8388608")
        long maxEntries();
    }

    interface Read {
        /** The most events one read may return (a request's {@code limit} is capped here). */
        @WithDefault("1000")
        int maxPageSize();
    }

    interface Log {
        /** Bytes per commit-log segment file (multiple of 4 KiB, at most 1G). */
        @WithDefault("1G")
        MemorySize segmentSize();

        TransientPool transientPool();

        /** {@code async}: flush on an interval; {@code sync}: every append waits for fdatasync. */
        @WithDefault("async")
        FlushPolicy flush();

        /** How often async mode forces committed bytes to disk. */
        @WithDefault("500ms")
        Duration flushInterval();

        /** How many appends may wait for commit or flush at once before appends are refused (503). */
        @WithDefault("65536")
        int maxPendingAppends();

        /** How often the checkpoint (where crash recovery starts scanning) is rewritten at most. */
        @WithDefault("1s")
        Duration checkpointInterval();
    }

    interface TransientPool {
        /**
         * Stage appends in locked off-heap buffers (true) or write straight into the mapping (false).
         * Unset: on for a single node, whose event loops append; off in a cluster, where only the
         * Raft applying thread writes the log, which may fault a page, and the pool would cost a
         * copy and a hand-off to the commit thread per batch on every replica (docs/CLUSTER.md).
         */
        java.util.Optional<Boolean> enabled();

        /** Buffers in the ring. */
        @WithDefault("8")
        int buffers();

        /** Bytes per buffer (multiple of 4 KiB); also bounds one atomic batch. */
        @WithDefault("4M")
        MemorySize bufferSize();
    }

    /** The cluster's plain settings (null when replication is off); {@code maxBatchBytes}: the log's largest batch. */
    default io.strand.cluster.ClusterConfig toClusterConfig(int maxBatchBytes) {
        Cluster c = cluster();
        if (!c.enabled()) {
            return null;
        }
        String id = c.nodeId().orElseThrow(() -> new IllegalArgumentException(
                "strand.cluster.enabled=true needs strand.cluster.node-id (this node's id among the peers)"));
        java.util.List<io.strand.cluster.Peer> peers = io.strand.cluster.Peer.parseList(c.peers().orElseThrow(() ->
                new IllegalArgumentException("strand.cluster.enabled=true needs strand.cluster.peers (id=host:raftPort:httpPort,...)")));
        return new io.strand.cluster.ClusterConfig(id, peers, dataDir().resolve("raft"), c.electionTimeout(),
                http().appendTimeout(), c.snapshotThreshold(), c.snapshotBytes().asLongValue(), c.purgeUpToSnapshot(), c.purgeGap(), c.readyMaxLag(),
                io.strand.cluster.ClusterConfig.entryBytes(maxBatchBytes, http().maxBodySize().asLongValue()), c.secret().orElse(null), c.trustCertificates().orElse(null), raftTls(c.raftTls()));
    }

    default StoreConfig toStoreConfig() {
        return new StoreConfig(dedup().window(), read().maxPageSize(), dedup().maxEntries());
    }

    default StorageConfig toStorageConfig() {
        Log log = log();
        return new StorageConfig(dataDir(), Math.toIntExact(log.segmentSize().asLongValue()),
                log.transientPool().enabled().orElse(!cluster().enabled()), log.transientPool().buffers(),
                Math.toIntExact(log.transientPool().bufferSize().asLongValue()), log.flush(), log.flushInterval(),
                log.maxPendingAppends(), log.checkpointInterval(), scrub().rate().asLongValue(), scrub().interval());
    }
}
