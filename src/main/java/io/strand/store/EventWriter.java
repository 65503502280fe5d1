package io.strand.store;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The writes the edge makes: appends, stream lifecycle changes and consumer-group commits. {@link EventStore} makes them on
 * this node's log; with replication, the cluster makes them through the Raft log, and every
 * replica's store applies them. The HTTP layer holds one of the two and does not know which.
 */
public interface EventWriter {
    /**
     * Appends {@code events} to {@code stream} as one atomic batch (see
     * {@link EventStore#append(String, List, long, io.strand.log.Durability, Executor)}); {@code durability}
     * null means the server's default; {@code coldReads} runs work that may read the log;
     * {@code freshIds}: the server made every event id for this request (the client sent none), so
     * only a re-send of this very batch could repeat them and the first id decides the repeat check.
     */
    CompletionStage<AppendOutcome> write(String stream, List<NewEvent> events, long expectedVersion,
                                          WriteDurability durability, Executor coldReads, boolean freshIds);

    /** Durably records that {@code group} has consumed {@code stream} up to {@code version} (-1: nothing). */
    CompletionStage<Void> commitGroup(String group, String stream, long version);

    /**
     * Deletes, tombstones or sets the metadata of {@code stream} if it is at {@code expectedVersion}
     * ({@link ExpectedVersion#ANY}: no check); flushed when the stage completes.
     */
    CompletionStage<Void> changeStream(String stream, StreamChange change, long expectedVersion);

    /**
     * Completes once a read on this node would see the record at log position {@code position} (a
     * 201's {@code position}), its stream's index included.
     */
    CompletionStage<Void> awaitPosition(long position);

    /**
     * Completes once this node has applied every write acknowledged before the call (with
     * replication, Raft ReadIndex); fails with {@link StoreUnavailableException} when it cannot
     * tell. A writer that holds the only copy is linearizable as it is.
     */
    default CompletionStage<Void> linearizable() {
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }
}
