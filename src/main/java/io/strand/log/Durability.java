package io.strand.log;

/** What an append waits for before its stage completes. */
public enum Durability {
    /** In the mapped file: readable, and kept if the process is killed. */
    COMMITTED,
    /** Also forced to disk with fdatasync: kept on power loss. */
    FLUSHED
}
