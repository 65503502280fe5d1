package io.strand.store;

import io.strand.index.StreamEntry;
import io.strand.log.Durability;
import io.strand.log.EventRecord;

/**
 * The repeat-check strategy of an append, chosen once per call by its entry point: read
 * candidates on the calling thread ({@link RepeatDetector} reading), leave them to a cold-reads
 * executor ({@link RepeatDetector} deferring), or {@link #NONE} for the store's own fresh ids.
 */
interface RepeatCheck {
    /** Fresh random ids (the store's own streams): no check, so the append never takes the retry path. */
    RepeatCheck NONE = (s, stream, records, durability) -> Repeat.FRESH;

    /**
     * Looks the batch's ids up in {@code s}; the caller holds {@code s}'s monitor. {@code durability}
     * is the append's (resolved), for the outcome a duplicate answers.
     */
    Repeat check(StreamEntry s, String stream, EventRecord[] records, Durability durability);
}
