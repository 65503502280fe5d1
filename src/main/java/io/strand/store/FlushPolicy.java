package io.strand.store;

import io.strand.log.FlushMode;

/**
 * The server-wide default durability of appends, as configured at the edge ({@code strand.log.flush}):
 * {@code async} forces committed bytes to disk on an interval, {@code sync} makes every append wait for
 * fdatasync (group commit). The edge's name for the log's {@link FlushMode}, so that configuration
 * never reaches past the store into the log.
 */
public enum FlushPolicy {
    ASYNC(FlushMode.ASYNC),
    SYNC(FlushMode.SYNC);

    private final FlushMode mode;

    FlushPolicy(FlushMode mode) {
        this.mode = mode;
    }

    FlushMode mode() {
        return mode;
    }
}
