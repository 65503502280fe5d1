package io.strand.log;

/**
 * The committed position: everything below it is in the segment files' page cache, readable and
 * kept if the process dies. Owns that one {@code long} and the waiters for {@link Durability#COMMITTED}
 * appends that its advance completes. Exists apart from {@link CommitLog} so that the committing
 * side (the {@link CommitService} thread, or the appender through {@link MappedWritePath}) is
 * handed a position to advance, not the log.
 *
 * <p>Thread-safe. {@link #advance} has one writer at a time: the commit thread with the pool on,
 * the appender under the append lock with it off. The volatile store in {@link #advance} is the
 * release that publishes the committed bytes (written through the mapping or the channel before
 * it); every reader's volatile load in {@link #get()} ({@link LogReader}, {@link LogCursor}, the
 * flush thread, the pre-toucher, the index) is the matching acquire. Positions only grow and stop
 * only at batch boundaries.
 */
final class CommittedPosition {
    /** Waiters for COMMITTED appends, or null when a publish commits at once (pool off). */
    private final WaiterRing waiters;
    private volatile long position;

    CommittedPosition(long position, WaiterRing waiters) {
        this.position = position;
        this.waiters = waiters;
    }

    /** Acquire: every byte below the returned position is committed and visible to this thread. */
    long get() {
        return position;
    }

    /** Release: publishes the bytes below {@code committed}, then completes the appends they end. */
    void advance(long committed) {
        position = committed;
        if (waiters != null) {
            waiters.completeUpTo(committed);
        }
    }

    /** The commit thread is dying: fails every COMMITTED waiter (after the log was marked failed). */
    void failWaiters(LogException cause) {
        if (waiters != null) {
            waiters.failAll(cause);
        }
    }
}
