package io.strand.store;

import io.strand.log.Durability;

/**
 * What one append waits for before it is acknowledged, as a client asks for it: {@link #COMMITTED}
 * (in the mapped file: readable, and kept if the process is killed) or {@link #FLUSHED} (also forced
 * to disk: kept on power loss). The edge's name for the log's {@link Durability}; see
 * {@link EventStore#write}.
 */
public enum WriteDurability {
    COMMITTED(Durability.COMMITTED),
    FLUSHED(Durability.FLUSHED);

    private final Durability durability;

    WriteDurability(Durability durability) {
        this.durability = durability;
    }

    Durability toLog() {
        return durability;
    }

    /** The durability {@code outcome} was acknowledged with. */
    public static WriteDurability of(AppendOutcome outcome) {
        return outcome.durability() == Durability.FLUSHED ? FLUSHED : COMMITTED;
    }
}
