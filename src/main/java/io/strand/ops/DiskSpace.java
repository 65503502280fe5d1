package io.strand.ops;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Free space of the data directory's file system, measured on its own thread every
 * {@code strand.disk.check-interval} (a statfs call: never on an event loop). Below
 * {@code strand.disk.min-free}, appends are refused with 507 before they can meet a full disk; they
 * resume by themselves once space returns.
 */
@ApplicationScoped
public class DiskSpace {
    private static final Logger LOG = Logger.getLogger(DiskSpace.class);

    private final Path dataDir;
    private final long minFree;
    private final long intervalMillis;
    private ScheduledExecutorService timer;
    private volatile long freeBytes = Long.MAX_VALUE;
    private volatile boolean low;

    DiskSpace(StrandConfig config) {
        this.dataDir = config.dataDir();
        this.minFree = config.disk().minFree().asLongValue();
        this.intervalMillis = Math.max(10, config.disk().checkInterval().toMillis());
    }

    void onStart(@Observes @Priority(10) StartupEvent event) {
        measure();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strand-disk-space");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::measure, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void measure() {
        try {
            Files.createDirectories(dataDir);
            FileStore store = Files.getFileStore(dataDir);
            long free = store.getUsableSpace();
            boolean nowLow = free < minFree;
            if (nowLow != low) {
                if (nowLow) {
                    LOG.warnf("free space on the data directory's file system is below strand.disk.min-free: free=%d, minFree=%d; "
                            + "appends get 507 until space returns", free, minFree);
                } else {
                    LOG.infof("free space is back above strand.disk.min-free: free=%d, minFree=%d", free, minFree);
                }
            }
            freeBytes = free;
            low = nowLow;
        } catch (IOException | RuntimeException e) {
            LOG.warn("measuring free space failed", e);
        }
    }

    /** True while free space is below the floor. */
    public boolean belowFloor() {
        return low;
    }

    public long freeBytes() {
        return freeBytes;
    }

    public long minFree() {
        return minFree;
    }
}
