package io.strand.ops;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strand.store.EventStore;
import io.strand.store.StorageStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs retention ({@code strand.retention.max-age}, {@code strand.retention.max-bytes}) on its own
 * thread every {@code strand.retention.check-interval}: whole oldest segments go, never the one being
 * written, never under a reader (the mapping lives until the last reader releases it).
 */
@ApplicationScoped
public class RetentionScheduler {
    private static final Logger LOG = Logger.getLogger(RetentionScheduler.class);

    private final StorageLifecycle storage;
    private final long maxAgeMillis;
    private final long maxBytes;
    private final long intervalMillis;
    private ScheduledExecutorService timer;

    RetentionScheduler(StorageLifecycle storage, StrandConfig config) {
        this.storage = storage;
        this.maxAgeMillis = config.retention().maxAge().toMillis();
        this.maxBytes = config.retention().maxBytes().asLongValue();
        this.intervalMillis = Math.max(100, config.retention().checkInterval().toMillis());
    }

    void onStart(@Observes StartupEvent event) {
        if (maxAgeMillis <= 0 && maxBytes <= 0) {
            return;
        }
        if (storage.clustered()) {
            // Retention re-appends group positions from the segments it drops: on one replica alone that
            // would make its CommitLog differ from the others'. Until retention is a replicated command,
            // replicas keep everything (docs/CLUSTER.md).
            LOG.warn("strand.retention.* is ignored with strand.cluster.enabled=true: replicas keep every segment");
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strand-retention");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::run, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        if (timer != null) {
            timer.shutdown();
            timer.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    private void run() {
        EventStore store = storage.storeOrNull();
        StorageStatus status = storage.statusOrNull();
        if (store == null || status == null) {
            return;
        }
        try {
            long before = status.firstPosition();
            int deleted = store.applyRetention(maxAgeMillis, maxBytes);
            if (deleted > 0) {
                LOG.infof("retention deleted %d segment(s): first position %d -> %d", deleted, before,
                        status.firstPosition());
            }
        } catch (Exception e) {
            LOG.warn("retention failed; it runs again at the next interval", e);
        }
    }
}
