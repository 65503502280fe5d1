package io.strand.store;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Appends to the store's own streams ({@code $pg-<group>}, {@code $pg}) for a subsystem that keeps
 * its state in the log: shared groups. On one node it is {@link EventStore#appendSystem}; in a
 * cluster, the leader's appends through the Raft log, fenced by the term the subsystem started in
 * (a deposed leader's are refused on every replica alike). Completes once the records are
 * readable on this node and flushed.
 */
@FunctionalInterface
public interface SystemWriter {
    CompletionStage<AppendOutcome> append(String stream, List<NewEvent> events);
}
