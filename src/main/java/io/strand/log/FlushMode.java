package io.strand.log;

/** The server-wide default durability: {@code async} flushes on an interval, {@code sync} waits for every append. */
public enum FlushMode {
    ASYNC,
    SYNC;

    public Durability defaultDurability() {
        return this == SYNC ? Durability.FLUSHED : Durability.COMMITTED;
    }
}
