package io.strand.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.strand.store.EventStore;
import io.strand.store.StorageStatus;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Strand's meters on {@code /q/metrics} (Prometheus names in brackets): appends and their bytes
 * ({@code strand_appends_total}, {@code strand_append_bytes_total}), append and fsync latency
 * histograms ({@code strand_append_seconds}, {@code strand_fsync_seconds}), commit and flush lag
 * ({@code strand_commit_lag_bytes}, {@code strand_flush_lag_bytes}), the pool
 * ({@code strand_pool_buffers_in_use}, {@code strand_pool_buffers}, {@code strand_pool_memory_locked}),
 * segments and disk ({@code strand_log_segments}, {@code strand_log_bytes},
 * {@code strand_disk_free_bytes}), subscribers ({@code strand_subscriptions_active},
 * {@code strand_subscription_lag_max_bytes}), the dedup index ({@code strand_dedup_ids},
 * {@code strand_dedup_dropped_early_total}), integrity ({@code strand_corrupt_records_total},
 * {@code strand_scrub_verified_bytes_total}). Gauges read volatile figures or take a short lock; nothing
 * here does I/O.
 */
@Startup // registered at start: an idle server shows its gauges before the first append
@ApplicationScoped
public class StrandMetrics {
    private final StorageLifecycle storage;
    private final Timer appendTimer;
    private final Timer fsyncTimer;

    StrandMetrics(MeterRegistry registry, StorageLifecycle storage, DiskSpace disk) {
        this.storage = storage;
        this.appendTimer = Timer.builder("strand.append").description("HTTP append latency, request to acknowledgement")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        this.fsyncTimer = Timer.builder("strand.fsync").description("fdatasync latency of the flush thread")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        FunctionCounter.builder("strand.appends", this, m -> store(EventStore::appendedEvents))
                .description("events appended").register(registry);
        FunctionCounter.builder("strand.append.bytes", this, m -> store(EventStore::appendedBytes))
                .description("log bytes appended").baseUnit("bytes").register(registry);
        gauge(registry, "strand.commit.lag", "bytes accepted but not yet in the mapped file", "bytes",
                l -> l.writtenPosition() - l.committedPosition());
        gauge(registry, "strand.flush.lag", "bytes committed but not yet forced to disk", "bytes",
                l -> l.committedPosition() - l.flushedPosition());
        gauge(registry, "strand.log.segments", "segment files held", null, StorageStatus::segmentCount);
        gauge(registry, "strand.log", "log bytes held (committed position minus first position)", "bytes",
                StorageStatus::heldBytes);
        gauge(registry, "strand.pool.buffers", "buffers in the transient store pool", null, StorageStatus::poolBuffers);
        gauge(registry, "strand.pool.buffers.in.use", "pool buffers holding uncommitted appends", null,
                l -> l.poolBuffers() - l.poolFreeBuffers());
        gauge(registry, "strand.pool.memory.locked", "1 when the pool is locked in RAM with mlock", null,
                l -> l.memoryLocked() ? 1 : 0);
        FunctionCounter.builder("strand.corrupt.records", this, m -> status(StorageStatus::corruptRecords))
                .description("records that failed verification (CRC-32C or framing), each position once").register(registry);
        FunctionCounter.builder("strand.scrub.verified.bytes", this, m -> status(StorageStatus::scrubVerifiedBytes))
                .description("log bytes the background scrubber re-verified").baseUnit("bytes").register(registry);
        Gauge.builder("strand.disk.free", disk, DiskSpace::freeBytes).description("free space on the data volume")
                .baseUnit("bytes").register(registry);
        Gauge.builder("strand.dedup.ids", this, m -> store(st -> st.indexStatus().dedupIds()))
                .description("event ids remembered for idempotent re-sends beyond streams' first 64 events")
                .register(registry);
        FunctionCounter.builder("strand.dedup.dropped.early", this, m -> store(st -> st.indexStatus().dedupDroppedEarly()))
                .description("ids forgotten before strand.dedup.window because strand.dedup.max-entries was reached")
                .register(registry);
        Gauge.builder("strand.subscriptions.active", this, m -> store(EventStore::subscriptionCount))
                .description("open subscriptions (SSE and in-process)").register(registry);
        Gauge.builder("strand.subscription.lag.max", this, m -> store(EventStore::maxSubscriptionLagBytes))
                .description("the largest distance of a subscription behind the committed position").baseUnit("bytes")
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, String unit, ToDoubleFunction<StorageStatus> f) {
        Gauge.Builder<StrandMetrics> b = Gauge.builder(name, this, m -> {
            StorageStatus l = storage.statusOrNull();
            return l == null ? Double.NaN : f.applyAsDouble(l);
        }).description(description);
        if (unit != null) {
            b.baseUnit(unit);
        }
        b.register(registry);
    }

    private double status(ToDoubleFunction<StorageStatus> f) {
        StorageStatus l = storage.statusOrNull();
        return l == null ? 0 : f.applyAsDouble(l);
    }

    private double store(ToDoubleFunction<EventStore> f) {
        EventStore s = storage.storeOrNull();
        return s == null ? 0 : f.applyAsDouble(s);
    }

    /** Records an append's latency (called on the event loop when it is answered). */
    public void appended(long nanos) {
        appendTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Records an fdatasync's latency (called on the flush thread). */
    public void forced(long nanos) {
        fsyncTimer.record(nanos, TimeUnit.NANOSECONDS);
    }
}
