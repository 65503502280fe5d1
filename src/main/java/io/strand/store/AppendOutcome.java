package io.strand.store;

import io.strand.log.Durability;

/**
 * What an append did: versions {@code firstVersion..lastVersion} of {@code stream}, the first at log
 * {@code position}. {@code duplicate} is true when the batch had been appended before and nothing
 * was written; the figures are then the original ones.
 */
public record AppendOutcome(String stream, long firstVersion, long lastVersion, long position,
                            Durability durability, boolean duplicate) {
    /** An outcome with the durability as the edge names it (null: the server's default, reported as committed). */
    public static AppendOutcome of(String stream, long firstVersion, long lastVersion, long position,
                                   WriteDurability durability, boolean duplicate) {
        return new AppendOutcome(stream, firstVersion, lastVersion, position,
                durability == null ? Durability.COMMITTED : durability.toLog(), duplicate);
    }
}
