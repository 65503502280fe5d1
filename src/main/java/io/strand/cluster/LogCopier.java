package io.strand.cluster;

import io.strand.store.Replica;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Lock;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Copies the leader's CommitLog from where this replica's ends up to the leader's snapshot, chunk by
 * chunk ({@code GET /log}), through {@link Replica#applyCopied}: how a follower behind the leader's
 * Raft purge point catches up (the snapshot is the CommitLog, so installing it is copying it).
 *
 * <p>Each chunk is applied under the state machine's apply lock, and only if this log still ends
 * where the chunk starts: Ratis may be applying entries of this follower's own Raft log meanwhile,
 * and the copy must neither repeat nor skip what they wrote. {@code copiedThrough} is told the Raft
 * index of every chunk applied (under the lock), so those entries are skipped when Ratis gets to
 * them. Runs on its own thread, never a Ratis one.
 */
final class LogCopier {
    static final int CHUNK_BYTES = 4 << 20;
    /** GET /log sends at most this much; a batch larger than a chunk needs a larger one. */
    static final int MAX_CHUNK_BYTES = 64 << 20;
    private static final long COMMIT_WAIT_SECONDS = 60;

    private final Replica replica;
    private final Lock applying;
    private final LongConsumer copiedThrough;
    private final BooleanSupplier stopped;

    LogCopier(Replica replica, Lock applying, LongConsumer copiedThrough, BooleanSupplier stopped) {
        this.replica = replica;
        this.applying = applying;
        this.copiedThrough = copiedThrough;
        this.stopped = stopped;
    }

    /** Copies until this log ends at {@code target.position()}; returns the records copied. */
    long copy(LeaderLog leader, SnapshotFile target) throws IOException, InterruptedException {
        long records = 0;
        int chunkBytes = CHUNK_BYTES;
        for (long from = settled(); from < target.position(); from = settled()) {
            if (stopped.getAsBoolean()) {
                throw new IOException("the replica is stopping: copy stopped at " + from);
            }
            LeaderLog.Chunk chunk = leader.read(from, chunkBytes);
            if (!chunk.bytes().hasRemaining()) {
                throw new IOException("the leader has no records at " + from + " though its snapshot " + target
                        + " ends beyond it");
            }
            Replica.Copied copied;
            applying.lock();
            try {
                if (settled() != from) {
                    continue; // Ratis applied an entry meanwhile: read again from where the log ends now
                }
                copied = replica.applyCopied(chunk.bytes(), from, target.index());
                if (copied.raftIndex() > 0) {
                    copiedThrough.accept(copied.raftIndex());
                }
            } catch (RuntimeException e) {
                throw new IOException("applying the leader's records from " + from + " failed", e);
            } finally {
                applying.unlock();
            }
            records += copied.records();
            if (copied.reachedLimit()) {
                break;
            }
            if (copied.records() == 0) {
                // One batch larger than the chunk: ask for more, up to what GET /log sends at most.
                if (chunkBytes >= MAX_CHUNK_BYTES) {
                    throw new IOException("no whole batch in " + chunkBytes + " bytes of the leader's log at " + from);
                }
                chunkBytes = Math.min(MAX_CHUNK_BYTES, chunkBytes * 2);
            }
        }
        long end = replica.committedPosition();
        if (end != target.position()) {
            throw new IOException("copied the leader's log up to " + end + " but its snapshot " + target + " ends at "
                    + target.position() + ": the logs differ");
        }
        return records;
    }

    /** Where this log ends once what was appended to it is committed (what a copy must continue). */
    private long settled() throws IOException, InterruptedException {
        try {
            replica.awaitCommitted(replica.writtenPosition()).toCompletableFuture().get(COMMIT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            throw new IOException("this replica's log did not commit what it holds", e);
        }
        return replica.committedPosition();
    }
}
