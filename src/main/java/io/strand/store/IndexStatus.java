package io.strand.store;

import io.strand.index.StreamIndex;

/**
 * A read-only view of the stream index's figures for metrics and the start-up log: streams in the
 * catalog, entries loaded from index files or rebuilt from the log at open, and the dedup index's
 * size and early drops. Thread-safe; a figure is a volatile read or a short lock.
 */
public final class IndexStatus {
    private final StreamIndex index;

    IndexStatus(StreamIndex index) {
        this.index = index;
    }

    /** Streams in the catalog (the store's own included). */
    public int streams() {
        return index.catalog().size();
    }

    /** Index entries loaded from the index files at open. */
    public long loadedEntries() {
        return index.loadedEntries();
    }

    /** Index entries rebuilt from the log at open (those the files did not hold). */
    public long rebuiltEntries() {
        return index.rebuiltEntries();
    }

    /** Event ids the dedup index remembers (beyond streams' first events). */
    public long dedupIds() {
        return index.dedup().size();
    }

    /** Ids forgotten before the dedup window ended because its bound was reached. */
    public long dedupDroppedEarly() {
        return index.dedup().droppedEarly();
    }
}
