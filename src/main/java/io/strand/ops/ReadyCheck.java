package io.strand.ops;

import io.strand.store.EventStore;
import io.strand.store.StorageStatus;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.io.IOException;

/**
 * {@code /q/health/ready}: DOWN while the store is not open, while free space is below
 * {@code strand.disk.min-free}, while appends have been refused for a full pool longer than
 * {@code strand.health.pool-exhausted-timeout}, while flushes fail, or after the log failed; UP again
 * when the cause clears. Its data carries the figures behind each condition.
 */
@Readiness
@ApplicationScoped
public class ReadyCheck implements HealthCheck {
    private final StorageLifecycle storage;
    private final DiskSpace disk;
    private final long poolExhaustedNanos;
    private final long readyMaxLag;

    ReadyCheck(StorageLifecycle storage, DiskSpace disk, StrandConfig config) {
        this.storage = storage;
        this.disk = disk;
        this.poolExhaustedNanos = config.health().poolExhaustedTimeout().toNanos();
        this.readyMaxLag = config.cluster().readyMaxLag();
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("strand-ready")
                .withData("freeBytes", disk.freeBytes())
                .withData("minFreeBytes", disk.minFree());
        EventStore store = storage.storeOrNull();
        StorageStatus log = storage.statusOrNull();
        boolean up = store != null && log != null;
        if (!up) {
            b.withData("reason", "starting");
        }
        if (store != null && store.shuttingDown()) {
            up = false;
            b.withData("reason", "shutting down");
        }
        if (disk.belowFloor()) {
            up = false;
            b.withData("reason", "free space below strand.disk.min-free");
        }
        if (log != null) {
            b.withData("writtenPosition", log.writtenPosition())
                    .withData("committedPosition", log.committedPosition())
                    .withData("flushedPosition", log.flushedPosition());
            boolean pool = log.poolEnabled();
            if (pool) {
                b.withData("poolBuffers", log.poolBuffers())
                        .withData("poolBuffersFree", log.poolFreeBuffers())
                        .withData("memoryLocked", log.memoryLocked());
            }
            // Refusals start the clock and the next accepted append stops it; but once readiness is
            // DOWN no appends arrive, so a pool that has drained since counts as recovered.
            long exhausted = pool && log.poolFreeBuffers() > 0 ? 0 : log.poolExhaustedNanos();
            b.withData("poolExhaustedMillis", exhausted / 1_000_000);
            if (exhausted > poolExhaustedNanos) {
                up = false;
                b.withData("reason", "the pool has been full for longer than strand.health.pool-exhausted-timeout");
            }
            IOException rollFailure = log.rollFailure();
            if (rollFailure != null) {
                up = false;
                b.withData("reason", "cannot create the next segment: " + rollFailure.getMessage());
            }
            IOException flushFailure = log.flushFailure();
            if (flushFailure != null) {
                up = false;
                b.withData("reason", "flush failing: " + flushFailure.getMessage());
            }
            if (log.failure() != null) {
                up = false;
                b.withData("reason", "log failed: " + log.failure().getMessage());
            }
        }
        if (storage.clustered() && store != null && !clusterReady(b)) {
            up = false;
        }
        return b.status(up).build();
    }

    /** Replicated: ready while this node knows a leader and has applied close to what the group committed. */
    private boolean clusterReady(HealthCheckResponseBuilder b) {
        io.strand.cluster.RaftNode node = storage.clusterOrNull();
        if (node == null) {
            b.withData("reason", "joining the cluster");
            return false;
        }
        io.strand.cluster.ClusterStatus c = node.status();
        b.withData("role", c.role()).withData("term", c.term()).withData("commitIndex", c.commitIndex())
                .withData("appliedIndex", c.appliedIndex());
        if (c.leader() != null) {
            b.withData("leader", c.leader());
        }
        if (c.failed()) {
            b.withData("reason", "this replica stopped applying the Raft log (see its log)");
            return false;
        }
        if (c.leader() == null) {
            b.withData("reason", "no leader known (no majority reachable, or an election in progress)");
            return false;
        }
        if (c.applyLag() > readyMaxLag) {
            b.withData("reason", "applying: " + c.applyLag() + " committed Raft entries behind (strand.cluster.ready-max-lag="
                    + readyMaxLag + ")");
            return false;
        }
        return true;
    }
}
