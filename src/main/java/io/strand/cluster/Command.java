package io.strand.cluster;

import io.strand.store.NewEvent;
import io.strand.store.StreamChange;

import java.util.List;
import java.util.UUID;

/** What one Raft entry asks every replica to apply (laid out by {@link CommandDescriptor}). */
sealed interface Command {
    /** When the accepting node took the request; the records carry it (never earlier than the log's last). */
    long timestampMillis();

    /**
     * An append of one atomic batch, with the checks every replica makes the same way; {@code freshIds}:
     * the accepting node made every event id (the client sent none), so the first id decides the repeat check.
     */
    record Append(String stream, long expectedVersion, long timestampMillis, List<NewEvent> events, boolean freshIds)
            implements Command {
    }

    /**
     * An append to one of the store's own streams by a subsystem the leader runs (shared groups),
     * fenced: applied only when its entry is of {@code term}, the term the subsystem started in.
     */
    record SystemAppend(long term, String stream, long timestampMillis, List<NewEvent> events) implements Command {
    }

    /** A consumer group's commit; {@code id} is the commit event's id, chosen once by the accepting node. */
    record GroupCommit(String group, String stream, long version, UUID id, long timestampMillis) implements Command {
    }

    /** A stream's delete, tombstone or new settings; {@code id} is its {@code $meta} event's id, chosen once by the accepting node. */
    record ChangeStream(String stream, StreamChange change, long expectedVersion, UUID id, long timestampMillis)
            implements Command {
    }
}
