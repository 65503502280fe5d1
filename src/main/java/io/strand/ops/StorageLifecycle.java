package io.strand.ops;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strand.cluster.ClusterConfig;
import io.strand.cluster.RaftNode;
import io.strand.store.EventStore;
import io.strand.store.EventWriter;
import io.strand.store.IndexStatus;
import io.strand.store.OpenProgress;
import io.strand.store.Storage;
import io.strand.store.StorageConfig;
import io.strand.store.StorageStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Opens the commit log (recovery) and then the store (index load and catch-up) on a thread of its
 * own when the application starts, so the HTTP server is up meanwhile: data requests get 503 with
 * {@code Retry-After} and the startup probe reports progress until both are open. At stop it closes
 * the store (no more appends, in-flight ones committed, subscriptions completed, index checkpointed)
 * and then the log (flush, checkpoint, clean-shutdown marker).
 */
@ApplicationScoped
public class StorageLifecycle {
    private static final Logger LOG = Logger.getLogger(StorageLifecycle.class);
    /** Room for the header, stream name and event type next to the largest event. */
    static final int RECORD_OVERHEAD_ALLOWANCE = 4096;

    private final StrandConfig config;
    private final jakarta.enterprise.inject.Instance<StrandMetrics> metrics;
    private final OpenProgress progress = new OpenProgress();
    private final CountDownLatch opened = new CountDownLatch(1);
    private volatile Storage storage;
    private volatile EventStore store;
    /** Shared groups (persistent subscriptions) of a single node (null in a cluster, or while starting). */
    private volatile io.strand.store.groups.SharedGroups sharedGroups;
    /** A cluster's shared groups, run on its leader (null on a single node, or while starting). */
    private volatile GroupHost groupHost;
    private volatile RaftNode cluster;
    private volatile EventWriter writer;
    private volatile Throwable failure;
    private volatile long openMillis = -1;
    private Thread opener;

    StorageLifecycle(StrandConfig config, jakarta.enterprise.inject.Instance<StrandMetrics> metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    void onStart(@Observes StartupEvent event) throws InterruptedException {
        StorageConfig storageConfig = config.toStorageConfig();
        long maxEvent = config.maxEventSize().asLongValue();
        if (maxEvent + RECORD_OVERHEAD_ALLOWANCE > storageConfig.maxBatchBytes()) {
            throw new IllegalArgumentException("strand.max-event-size=" + maxEvent + " does not fit one append: "
                    + "raise strand.log.transient-pool.buffer-size (or the segment size with the pool off) to at least "
                    + (maxEvent + RECORD_OVERHEAD_ALLOWANCE) + " bytes; maxBatchBytes=" + storageConfig.maxBatchBytes());
        }
        ClusterConfig clusterConfig = config.toClusterConfig(storageConfig.maxBatchBytes());
        opener = new Thread(() -> open(storageConfig, clusterConfig), "strand-recovery");
        opener.start();
        Duration await = config.startup().await();
        if (!await.isZero()) {
            opened.await(await.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void open(StorageConfig storageConfig, ClusterConfig clusterConfig) {
        long start = System.nanoTime();
        Thread reporter = new Thread(this::report, "strand-recovery-progress");
        reporter.setDaemon(true);
        reporter.start();
        try {
            Storage l = Storage.open(storageConfig, progress);
            StrandMetrics m = metrics.get();
            l.onForce(m::forced);
            storage = l;
            StorageStatus st = l.status();
            LOG.infof("Strand log open: dataDir=%s, tail=%d, clean=%s, scanned=%d bytes, pool=%s, flush=%s",
                    storageConfig.dataDir().toAbsolutePath(), st.committedPosition(), st.recoveredCleanly(),
                    st.recoveryScannedBytes(), !st.poolEnabled() ? "off" : (st.memoryLocked() ? "locked" : "unlocked"),
                    storageConfig.flush());
            EventStore opened;
            try {
                opened = l.openStore(config.toStoreConfig(), progress);
            } catch (IOException | RuntimeException | Error e) {
                closeQuietly(l);
                storage = null;
                throw e;
            }
            if (clusterConfig != null) {
                try {
                    // Before the store serves: the Raft member replays what the CommitLog lacks, then joins.
                    cluster = RaftNode.start(clusterConfig, opened.replica());
                } catch (IOException | RuntimeException | Error e) {
                    closeQuietly(opened);
                    closeQuietly(l);
                    storage = null;
                    throw e;
                }
            }
            writer = cluster != null ? cluster.writer() : opened;
            if (cluster == null) {
                sharedGroups = io.strand.store.groups.SharedGroups.open(opened);
            } else {
                GroupHost host = new GroupHost(opened, cluster);
                cluster.onLeadership(host);
                groupHost = host;
            }
            store = opened;
            progress.finish();
            openMillis = (System.nanoTime() - start) / 1_000_000;
            IndexStatus index = store.indexStatus();
            LOG.infof("Strand store open in %d ms: streams=%d, indexEntriesLoaded=%d, rebuiltFromLog=%d", openMillis,
                    index.streams(), index.loadedEntries(), index.rebuiltEntries());
        } catch (java.util.concurrent.CancellationException e) {
            failure = e;
            LOG.info("opening stopped: the application is stopping (recovery resumes at the next start)");
        } catch (Throwable e) {
            failure = e;
            LOG.error("opening the log and store failed; the application cannot serve data (liveness is DOWN)", e);
        } finally {
            opened.countDown();
            reporter.interrupt();
        }
    }

    /** Logs the progress every few seconds while opening takes long. */
    private void report() {
        try {
            while (!opened.await(3, TimeUnit.SECONDS)) {
                LOG.infof("Strand opening: %s", progress);
            }
        } catch (InterruptedException e) {
            // opened
        }
    }

    /**
     * SIGTERM with {@code quarkus.shutdown.delay-enabled}: before the HTTP server stops, refuse new
     * writes (503) and end every subscription cleanly, while in-flight appends finish.
     */
    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        RaftNode c = cluster;
        if (c != null) {
            // Leave the group first (a leader hands over at once): appends through this node then
            // answer 503, and the store is no longer applied to when it refuses appends below.
            LOG.info("Strand shutting down: leaving the Raft group");
            cluster = null; // closed once: onStop finds nothing left to close
            c.close();
        }
        closeGroups();
        EventStore s = store;
        if (s != null) {
            LOG.info("Strand shutting down: refusing new appends, ending subscriptions");
            s.beginShutdown();
        }
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        Thread o = opener;
        if (o != null && o.isAlive()) {
            // Stopping while recovery runs: cancel it (it has only read so far; the next start
            // redoes it) rather than outlast quarkus.shutdown.timeout and be killed.
            progress.cancel();
            o.join(TimeUnit.SECONDS.toMillis(10));
            if (o.isAlive()) {
                LOG.warn("recovery did not stop within 10 s of the stop request; exiting without closing the log");
                return; // never close under a recovery in progress
            }
        }
        closeGroups();
        RaftNode c = cluster;
        if (c != null) {
            c.close(); // no more entries applied to the store below
        }
        EventStore s = store;
        if (s != null) {
            try {
                s.close();
            } catch (IOException | RuntimeException e) {
                LOG.error("closing the store failed; the index will catch up from the log at the next start", e);
            }
        }
        Storage l = storage;
        if (l == null) {
            return;
        }
        try {
            l.close();
            LOG.infof("Strand log closed cleanly: position=%d", l.status().committedPosition());
        } catch (IOException e) {
            LOG.error("closing the commit log failed", e);
        }
    }

    private void closeGroups() {
        GroupHost h = groupHost;
        if (h != null) {
            groupHost = null;
            h.close();
        }
        io.strand.store.groups.SharedGroups g = sharedGroups;
        if (g != null) {
            sharedGroups = null;
            g.close(); // ends their consumers' streams while the server can still write them
        }
    }

    /**
     * The shared groups when this node runs them: a single node once open; in a cluster, the leader
     * once it has loaded them. Null otherwise (starting; a follower, which forwards to the leader).
     */
    public io.strand.store.groups.SharedGroups sharedGroupsOrNull() {
        GroupHost h = groupHost;
        return h != null ? h.groupsOrNull() : sharedGroups;
    }

    private static void closeQuietly(EventStore s) {
        try {
            s.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing the store after a failed start failed", e);
        }
    }

    private static void closeQuietly(Storage l) {
        try {
            l.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing the commit log after a failed start failed", e);
        }
    }

    /** The store, or null while the application is starting (or failed to start): callers answer 503. */
    public EventStore storeOrNull() {
        return store;
    }

    /** Where appends and group commits go: the store, or with replication the Raft log; null while starting. */
    public EventWriter writerOrNull() {
        return store == null ? null : writer;
    }

    /** This node's Raft member, or null (replication off, or starting). */
    public RaftNode clusterOrNull() {
        return cluster;
    }

    /** True when replication is configured (whether or not its member has started yet). */
    public boolean clustered() {
        return config.cluster().enabled();
    }

    /** The storage (the log) once open (it opens before the store), or null. */
    public Storage storageOrNull() {
        return storage;
    }

    /** The log's figures once it is open (before the store), or null. */
    public StorageStatus statusOrNull() {
        Storage s = storage;
        return s == null ? null : s.status();
    }

    public OpenProgress progress() {
        return progress;
    }

    /** Why opening failed, or null. */
    public Throwable failure() {
        return failure;
    }

    /** Milliseconds opening took, or -1 while it runs. */
    public long openMillis() {
        return openMillis;
    }

    @Produces
    EventStore eventStore() {
        EventStore s = store;
        if (s == null) {
            throw new IllegalStateException("the store is not open yet");
        }
        return s;
    }
}
