package io.strand.store;

import io.strand.index.IndexConfig;

import java.time.Duration;

/**
 * @param dedupWindow      how long event ids are remembered for idempotent re-sends, at least (survives
 *                         restarts), while {@code dedupMaxEntries} allows
 * @param maxPageSize      the most events one read returns
 * @param dedupMaxEntries  the most event ids the dedup index holds at once (ids of events beyond their
 *                         stream's first 64); beyond it the oldest are forgotten early, shortening the window
 */
public record StoreConfig(Duration dedupWindow, int maxPageSize, long dedupMaxEntries) {
    public StoreConfig {
        if (dedupWindow.isNegative() || maxPageSize <= 0 || dedupMaxEntries < 1) {
            throw new IllegalArgumentException("bad store config: dedupWindow=" + dedupWindow + ", maxPageSize="
                    + maxPageSize + ", dedupMaxEntries=" + dedupMaxEntries);
        }
    }

    /** With the default dedup bound ({@link IndexConfig#DEFAULT_DEDUP_MAX_ENTRIES}). */
    public StoreConfig(Duration dedupWindow, int maxPageSize) {
        this(dedupWindow, maxPageSize, IndexConfig.DEFAULT_DEDUP_MAX_ENTRIES);
    }

    /** Checks a client's page size: {@link InvalidRequestException} unless 1..{@link #maxPageSize}. */
    public void checkLimit(int limit) {
        if (limit <= 0 || limit > maxPageSize) {
            throw new InvalidRequestException("limit must be between 1 and " + maxPageSize + ": limit=" + limit);
        }
    }

    public static StoreConfig defaults() {
        return new StoreConfig(Duration.ofMinutes(10), 1000);
    }
}
