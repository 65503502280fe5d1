package io.strand.ops;

import io.strand.store.StorageStatus;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code /q/health/live}: DOWN only when the process cannot recover by itself — opening failed, the
 * commit or flush thread died, or one of them has made no progress while work was pending for longer
 * than {@code strand.health.stall-timeout}. Cheap: volatile reads, no I/O, no lock the write path holds.
 */
@Liveness
@ApplicationScoped
public class LiveCheck implements HealthCheck {
    private final StorageLifecycle storage;
    private final long stallNanos;
    private final Stall commit = new Stall();
    private final Stall flush = new Stall();

    LiveCheck(StorageLifecycle storage, StrandConfig config) {
        this.storage = storage;
        this.stallNanos = config.health().stallTimeout().toNanos();
    }

    /**
     * Whether a position stopped moving while work was pending, and since when. The clock starts
     * when a call first sees work pending (not at the last idle call, which may be long ago) and
     * restarts whenever the position moves.
     */
    private static final class Stall {
        private long lastPosition = -1;
        private long since;
        private boolean wasPending;

        synchronized long stalledNanos(long position, boolean pending, long now) {
            boolean fresh = !pending || !wasPending || position != lastPosition;
            wasPending = pending;
            if (fresh) {
                lastPosition = position;
                since = now;
                return 0;
            }
            return now - since;
        }
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("strand-live");
        if (storage.failure() != null) {
            return b.down().withData("failure", String.valueOf(storage.failure())).build();
        }
        StorageStatus log = storage.statusOrNull();
        if (log == null) {
            return b.up().withData("opening", true).build(); // the startup probe covers opening
        }
        long now = System.nanoTime();
        long written = log.writtenPosition();
        long committed = log.committedPosition();
        long flushed = log.flushedPosition();
        // A commit thread waiting for disk space to create its next segment, or a flush thread whose
        // forces fail, is alive and retrying: readiness reports that, and a restart would not help.
        boolean waitingForDisk = log.rollFailure() != null;
        boolean flushFailing = log.flushFailure() != null;
        long commitStall = commit.stalledNanos(committed, written > committed && !waitingForDisk, now);
        long flushStall = flush.stalledNanos(flushed, committed > flushed && !flushFailing, now);
        boolean up = log.threadsAlive() && commitStall < stallNanos && flushStall < stallNanos;
        return b.status(up)
                .withData("threadsAlive", log.threadsAlive())
                .withData("writtenPosition", written)
                .withData("committedPosition", committed)
                .withData("flushedPosition", flushed)
                .withData("commitStalledMillis", commitStall / 1_000_000)
                .withData("flushStalledMillis", flushStall / 1_000_000)
                .withData("waitingForDiskSpace", waitingForDisk)
                .withData("flushFailing", flushFailing)
                .build();
    }
}
