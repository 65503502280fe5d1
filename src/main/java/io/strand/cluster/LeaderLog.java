package io.strand.cluster;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What a follower behind the leader's Raft purge point reads from the leader to catch up: the
 * leader's latest snapshot and its committed CommitLog bytes. Over HTTP in production
 * ({@link HttpLeaderLog}: {@code GET /cluster} and {@code GET /log}); tests read a leader in the
 * same JVM. Implementations may block; they are called on the copier's own thread.
 */
interface LeaderLog {
    /** The leader's latest snapshot, or null when it has taken none yet. */
    SnapshotFile snapshot() throws IOException;

    /**
     * Whole committed records from the record boundary {@code from}, at most {@code maxBytes} (at
     * least one record) and within one segment, as {@code GET /log} answers them; an empty chunk when
     * nothing is committed there yet.
     */
    Chunk read(long from, int maxBytes) throws IOException;

    /** Raw log bytes and where the record after them starts ({@code Strand-Next}). */
    record Chunk(ByteBuffer bytes, long next) {
    }
}
