package io.strand.store;

import java.util.concurrent.CompletionStage;

/**
 * What the repeat check ({@link RepeatCheck}) found for one append; the appender switches on it.
 * {@link #FRESH} is the common answer and allocates nothing.
 */
sealed interface Repeat {
    /** The one {@link Fresh}. */
    Fresh FRESH = new Fresh();

    /** No event id of the batch was appended before: go on with the expected-version check and the append. */
    record Fresh() implements Repeat {
    }

    /**
     * Every id was appended before, as this very batch: answer {@code original} and write nothing.
     * {@code endPosition} is where the original batch ends in the log (what a {@code FLUSHED} repeat
     * waits to be flushed).
     */
    record Duplicate(AppendOutcome original, long endPosition) implements Repeat {
    }

    /** Ids were appended before, but not as this batch (mixed, reordered or other content): refuse. */
    record Conflict(IdempotencyConflictException cause) implements Repeat {
    }

    /**
     * The check could not decide here: run the append again after {@code after} completes (a
     * candidate is the stream's in-flight append, not committed yet), or, when {@code after} is null,
     * where candidates may be read (this pass found candidates and does not read records).
     */
    record Retry(CompletionStage<?> after) implements Repeat {
    }
}
