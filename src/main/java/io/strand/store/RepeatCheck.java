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

    /**
     * {@code full} for a batch whose ids the accepting node made itself (random, never sent by a
     * client): only a re-send of this very batch can hold them (a Raft client's retry, an entry
     * applied again), and it holds them all, in order. So the first id decides: absent, the batch is
     * fresh; found (or undecided), {@code full} checks every id. One dedup-index probe per batch
     * instead of one per event: the probes were 40% of an append's CPU on batches of 100 (profiled).
     */
    static RepeatCheck firstIdDecides(RepeatCheck full) {
        return (s, stream, records, durability) -> records.length > 1
                && full.check(s, stream, new EventRecord[] {records[0]}, durability) == Repeat.FRESH
                ? Repeat.FRESH : full.check(s, stream, records, durability);
    }
}
