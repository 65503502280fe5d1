package io.strand.ops;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strand.log.CommitLog;
import io.strand.log.LogConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Opens the commit log (running recovery) when the application starts and closes it cleanly
 * (commit, flush, checkpoint, clean-shutdown marker) when it stops.
 */
@ApplicationScoped
public class LogLifecycle {
    private static final Logger LOG = Logger.getLogger(LogLifecycle.class);

    private final StrandConfig config;
    private volatile CommitLog log;

    LogLifecycle(StrandConfig config) {
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
    }

    void onStop(@Observes ShutdownEvent event) {
        CommitLog l = log;
        if (l == null) {
            return;
        }
        try {
            l.close();
            LOG.infof("Strand log closed cleanly: position=%d", l.committedPosition());
        } catch (IOException e) {
            LOG.error("closing the commit log failed", e);
        }
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
