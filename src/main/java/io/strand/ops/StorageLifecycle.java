package io.strand.ops;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strand.log.CommitLog;
import io.strand.log.LogConfig;
import io.strand.store.EventStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Opens the commit log (running recovery) and then the store over it (loading the index and
 * catching it up with the log) when the application starts; at stop, closes the store (no more
 * appends, in-flight ones committed, subscriptions completed, index checkpointed) and then the log
 * (flush, checkpoint, clean-shutdown marker).
 */
@ApplicationScoped
public class StorageLifecycle {
    private static final Logger LOG = Logger.getLogger(StorageLifecycle.class);

    private final StrandConfig config;
    private volatile CommitLog log;
    private volatile EventStore store;

    StorageLifecycle(StrandConfig config) {
        this.config = config;
    }

    /** Room for the header, stream name and event type next to the largest event. */
    static final int RECORD_OVERHEAD_ALLOWANCE = 4096;

    void onStart(@Observes StartupEvent event) {
        LogConfig logConfig = config.toLogConfig();
        long maxEvent = config.maxEventSize().asLongValue();
        if (maxEvent + RECORD_OVERHEAD_ALLOWANCE > logConfig.maxBatchBytes()) {
            throw new IllegalArgumentException("strand.max-event-size=" + maxEvent + " does not fit one append: "
                    + "raise strand.log.transient-pool.buffer-size (or the segment size with the pool off) to at least "
                    + (maxEvent + RECORD_OVERHEAD_ALLOWANCE) + " bytes; maxBatchBytes=" + logConfig.maxBatchBytes());
        }
        try {
            log = CommitLog.open(logConfig);
        } catch (IOException e) {
            throw new UncheckedIOException("opening the commit log failed: dataDir=" + logConfig.dataDir(), e);
        }
        LOG.infof("Strand log open: dataDir=%s, tail=%d, clean=%s, pool=%s, flush=%s",
                logConfig.dataDir().toAbsolutePath(), log.committedPosition(), log.recoveredCleanly(),
                log.pool() == null ? "off" : (log.pool().memoryLocked() ? "locked" : "unlocked"),
                logConfig.flushMode());
        try {
            store = EventStore.open(log, config.toStoreConfig());
        } catch (IOException | RuntimeException e) {
            closeQuietly(log);
            log = null;
            throw e instanceof IOException io ? new UncheckedIOException("opening the store failed", io) : (RuntimeException) e;
        }
        LOG.infof("Strand store open: streams=%d, indexEntriesLoaded=%d, rebuiltFromLog=%d",
                store.index().catalog().size(), store.index().loadedEntries(), store.index().rebuiltEntries());
    }

    private static void closeQuietly(CommitLog l) {
        try {
            l.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing the commit log after a failed start failed", e);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        CommitLog l = log;
        if (l == null) {
            return;
        }
        EventStore s = store;
        if (s != null) {
            try {
                s.close();
            } catch (IOException | RuntimeException e) {
                LOG.error("closing the store failed; the index will catch up from the log at the next start", e);
            }
        }
        try {
            l.close();
            LOG.infof("Strand log closed cleanly: position=%d", l.committedPosition());
        } catch (IOException e) {
            LOG.error("closing the commit log failed", e);
        }
    }

    /** The store, or null while the application is starting (or failed to start): callers answer 503. */
    public EventStore storeOrNull() {
        return store;
    }

    @Produces
    EventStore eventStore() {
        EventStore s = store;
        if (s == null) {
            throw new IllegalStateException("the store is not open yet");
        }
        return s;
    }

    @Produces
    CommitLog commitLog() {
        CommitLog l = log;
        if (l == null) {
            throw new IllegalStateException("the commit log is not open yet");
        }
        return l;
    }
}
