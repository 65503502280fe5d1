package io.strand.log;

/**
 * The log's last batch as recovery found it: where it starts, and the timestamp and raft index its
 * records carry (every record of a batch carries the same two). The appender continues from them,
 * so timestamps and raft indexes never go back across a restart. {@link #NONE} when the log holds
 * no record.
 */
record LastBatch(long position, long timestampMillis, long raftIndex) {
    static final LastBatch NONE = new LastBatch(-1, 0, 0);
}
