package io.strand.log;

/**
 * The raft indexes the log holds: the largest one written, which an append may not go below, and
 * the largest one committed ({@link CommitLog#lastRaftIndex()}). Raft applies entries in index
 * order, so a smaller index means an entry applied twice, and that replica's log would no longer
 * be byte-identical to the others'. Exists apart from {@link LogAppender} so this bookkeeping is
 * one small class with its own tests.
 *
 * <p>Owns a ring of (end position, raft index) pairs: the appends that raised the written index and
 * were not seen committed yet. Only the largest index matters, so a full ring replaces its newest
 * pair rather than growing: that index is then reported when the later append commits. It can lag
 * but never runs ahead of the committed position, and allocates nothing.
 *
 * <p>Not thread-safe: every call runs under the append lock. The committed position is read with
 * its acquire load, so a pair counts as committed only once its bytes are readable.
 */
final class RaftIndexes {
    static final int CAPACITY = 64;

    private final CommittedPosition committedPosition;
    private final long[] ends = new long[CAPACITY];
    private final long[] indexes = new long[CAPACITY];
    private int oldest;
    private int pending;
    private long written;
    private long committed;

    /** {@code recovered}: the raft index of the log's last record, committed by definition. */
    RaftIndexes(CommittedPosition committedPosition, long recovered) {
        this.committedPosition = committedPosition;
        this.written = recovered;
        this.committed = recovered;
    }

    /** Whether a batch may carry {@code raftIndex}: 0 (not replicated) or at least the largest written. */
    boolean accepts(long raftIndex) {
        return raftIndex == 0 || raftIndex >= written;
    }

    long written() {
        return written;
    }

    /** A batch carrying {@code raftIndex} (accepted) was written, ending at {@code end}. */
    void written(long end, long raftIndex) {
        if (raftIndex <= written) {
            return; // the largest index does not change
        }
        written = raftIndex;
        if (pending == CAPACITY) {
            committed();
        }
        int slot = (oldest + pending - (pending == CAPACITY ? 1 : 0)) % CAPACITY;
        ends[slot] = end;
        indexes[slot] = raftIndex;
        if (pending < CAPACITY) {
            pending++;
        }
    }

    /** The largest raft index among committed records; 0 when none carries one. */
    long committed() {
        long position = committedPosition.get();
        while (pending > 0 && ends[oldest] <= position) {
            committed = indexes[oldest];
            oldest = (oldest + 1) % CAPACITY;
            pending--;
        }
        return committed;
    }
}
