package io.strand.index;

import java.nio.file.Path;
import java.time.Duration;

/**
 * @param dataDir            root of the data directory; the index lives in {@code dataDir/index}
 * @param dedupWindow        how long appended event ids are remembered for idempotent re-sends (at least)
 * @param checkpointInterval how often the indexer forces its files and moves the index checkpoint
 */
public record IndexConfig(Path dataDir, Duration dedupWindow, Duration checkpointInterval) {
    public IndexConfig {
        if (dedupWindow.isNegative() || checkpointInterval.isNegative() || checkpointInterval.isZero()) {
            throw new IllegalArgumentException("bad index config: dedupWindow=" + dedupWindow
                    + ", checkpointInterval=" + checkpointInterval);
        }
    }

    public static IndexConfig defaults(Path dataDir) {
        return new IndexConfig(dataDir, Duration.ofMinutes(10), Duration.ofSeconds(1));
    }
}
