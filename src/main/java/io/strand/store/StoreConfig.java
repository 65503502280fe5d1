package io.strand.store;

import java.time.Duration;

/**
 * @param dedupWindow  how long event ids are remembered for idempotent re-sends, at least (survives restarts)
 * @param maxPageSize  the most events one read returns
 */
public record StoreConfig(Duration dedupWindow, int maxPageSize) {
    public StoreConfig {
        if (dedupWindow.isNegative() || maxPageSize <= 0) {
            throw new IllegalArgumentException("bad store config: dedupWindow=" + dedupWindow + ", maxPageSize=" + maxPageSize);
        }
    }

    public static StoreConfig defaults() {
        return new StoreConfig(Duration.ofMinutes(10), 1000);
    }
}
