package io.strand.index;

import java.nio.file.Path;
import java.time.Duration;

/**
 * @param dataDir            root of the data directory; the index lives in {@code dataDir/index}
 * @param dedupWindow        how long appended event ids are remembered for idempotent re-sends (at least,
 *                           while {@code dedupMaxEntries} allows)
 * @param checkpointInterval how often the indexer forces its files and moves the index checkpoint
 * @param dedupMaxEntries    the most ids the {@link DedupIndex} holds at once; beyond it the oldest are
 *                           forgotten before the window is over (memory: about 16 bytes each at most)
 */
public record IndexConfig(Path dataDir, Duration dedupWindow, Duration checkpointInterval, long dedupMaxEntries) {
    /**
     * 8 Mi ids: at most 96 MiB of dedup tables (three generations of 4 Mi slots). That is the full
     * 10-minute window up to ~14 k appends/s beyond streams' first 64 events, and 6-12 s of it at the
     * 700 k appends/s one stream can take, instead of an unbounded heap.
     */
    public static final long DEFAULT_DEDUP_MAX_ENTRIES = 8L << 20;

    public IndexConfig {
        if (dedupWindow.isNegative() || checkpointInterval.isNegative() || checkpointInterval.isZero()
                || dedupMaxEntries < 1) {
            throw new IllegalArgumentException("bad index config: dedupWindow=" + dedupWindow
                    + ", checkpointInterval=" + checkpointInterval + ", dedupMaxEntries=" + dedupMaxEntries);
        }
    }

    /** With the default dedup bound. */
    public IndexConfig(Path dataDir, Duration dedupWindow, Duration checkpointInterval) {
        this(dataDir, dedupWindow, checkpointInterval, DEFAULT_DEDUP_MAX_ENTRIES);
    }

    public static IndexConfig defaults(Path dataDir) {
        return new IndexConfig(dataDir, Duration.ofMinutes(10), Duration.ofSeconds(1));
    }
}
