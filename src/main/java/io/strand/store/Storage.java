package io.strand.store;

import io.strand.log.CommitLog;

import java.io.IOException;
import java.util.function.LongConsumer;

/**
 * The storage a store runs on, opened from a plain {@link StorageConfig}: the commit log (recovered
 * on open), then the {@link EventStore} over it. It owns the log and hands the edge (health, metrics,
 * the raw-log and binary HTTP paths) the narrow views it needs — {@link #status()} and
 * {@link #rawLog()} — instead of the log itself, so nothing above the store depends on the log's
 * classes. Thread-safe; {@link #close()} after the store's own close.
 */
public final class Storage implements AutoCloseable {
    private final CommitLog log;
    private final StorageStatus status;
    private final RawLog raw;

    private Storage(CommitLog log) {
        this.log = log;
        this.status = new StorageStatus(log);
        this.raw = new RawLog(log);
    }

    /** Opens (and recovers) the log under {@code config.dataDir()}, reporting to {@code progress}. */
    public static Storage open(StorageConfig config, OpenProgress progress) throws IOException {
        return new Storage(CommitLog.open(config.toLogConfig(), progress.recovery()));
    }

    /** Opens the store over this storage: loads and catches up the index, reporting to {@code progress}. */
    public EventStore openStore(StoreConfig config, OpenProgress progress) throws IOException {
        return EventStore.open(log, config, progress.recovery());
    }

    /** Calls {@code listener} with the duration in nanoseconds of every fdatasync (on the flush thread). */
    public void onForce(LongConsumer listener) {
        log.onForce(listener);
    }

    public StorageStatus status() {
        return status;
    }

    public RawLog rawLog() {
        return raw;
    }

    /** Flushes, checkpoints and closes the log (writes the clean-shutdown marker). */
    @Override
    public void close() throws IOException {
        log.close();
    }
}
