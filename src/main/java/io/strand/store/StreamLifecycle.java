package io.strand.store;

import io.strand.index.StreamCatalog;
import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Streams' metadata and lifecycle (soft delete, tombstone, settings), stored through the log: each
 * change is a flushed event of the store's stream {@code $meta} holding the stream's whole metadata
 * after it ({@link StreamMetadataDescriptor}); the newest per stream is kept in memory, rebuilt from
 * {@code $meta} at open. A change is decided under its stream's monitor, the one appends take, so it
 * lands at one place among the stream's appends: a soft delete hides every version given out before
 * it, an append after a tombstone is refused. Memory only on the read side: an empty map costs a
 * read nothing.
 *
 * <p>Lock order: a stream's monitor, then this object's, then {@code $meta}'s (in the append path).
 * {@code $meta} events are appended under this object's lock, so the newest in the log is the newest
 * made. Thread-safe.
 */
final class StreamLifecycle {
    static final String STREAM = "$meta";
    static final String EVENT_TYPE = "stream-metadata";

    private final StreamIndex index;
    private final StreamCatalog catalog;
    private final RecordReader records;
    private final ConsumerGroups.Appends appends;
    private final Executor reruns;
    private final ConcurrentHashMap<String, StreamMetadata> metadata = new ConcurrentHashMap<>();
    /** Where each stream's newest {@code $meta} event lies (for retention's carry-forward). */
    private final ConcurrentHashMap<String, Long> positions = new ConcurrentHashMap<>();
    /** Ids of change events: random, never checked for repeats. */
    Supplier<UUID> ids = UUID::randomUUID;

    StreamLifecycle(StreamIndex index, RecordReader records, ConsumerGroups.Appends appends, Executor reruns) {
        this.index = index;
        this.catalog = index.catalog();
        this.records = records;
        this.appends = appends;
        this.reruns = reruns;
    }

    /** Reads every change {@code $meta} still holds, in log order (at open): the newest per stream wins. */
    void load() {
        // A corrupt change is skipped: the stream keeps its previous metadata.
        SystemStream.forEach(index, records, STREAM, e -> {
            StreamMetadataDescriptor.Decoded d = StreamMetadataDescriptor.decode(ByteBuffer.wrap(e.data()));
            metadata.put(d.stream(), d.metadata());
            positions.put(d.stream(), e.position());
        });
        // A deleted stream none of whose events is held any more (retention) goes on after its mark.
        metadata.forEach((stream, m) -> {
            if (m.deletedBefore() > 0 && !m.tombstoned()) {
                index.startAt(catalog.getOrCreate(stream), m.deletedBefore());
            }
        });
    }

    /** The stream's metadata ({@link StreamMetadata#NONE} when none was set). */
    StreamMetadata get(String stream) {
        if (metadata.isEmpty()) {
            return StreamMetadata.NONE;
        }
        StreamMetadata m = metadata.get(stream);
        return m == null ? StreamMetadata.NONE : m;
    }

    /** Throws {@link StreamTombstonedException} when {@code stream} is tombstoned. */
    void checkNotTombstoned(String stream) {
        if (get(stream).tombstoned()) {
            throw new StreamTombstonedException(stream);
        }
    }

    /**
     * Whether an append or change expecting {@code expected} may go on at the stream's {@code current}
     * version: as {@link ExpectedVersion#matches}, except that a soft-deleted stream (nothing appended
     * since) has no stream for {@code no-stream} and {@code exists}.
     */
    boolean matches(String stream, long expected, long current) {
        if (expected == ExpectedVersion.NO_STREAM || expected == ExpectedVersion.EXISTS) {
            StreamMetadata m = get(stream);
            if (m.deleted(current)) {
                return expected == ExpectedVersion.NO_STREAM;
            }
        }
        return ExpectedVersion.matches(expected, current);
    }

    /** A client's change, with a fresh id: see {@link #change(String, StreamChange, long, UUID, ConsumerGroups.Appends)}. */
    CompletionStage<Void> change(String stream, StreamChange change, long expectedVersion) {
        return change(stream, change, expectedVersion, ids.get(), appends);
    }

    /**
     * Makes {@code change} to {@code stream} if it is at {@code expectedVersion}, appending the
     * resulting metadata to {@code $meta} through {@code via} (a replicated apply passes its own,
     * with the entry's timestamp and Raft index) with event id {@code id}. Fails with
     * {@link StreamTombstonedException}, {@link StreamNotFoundException} (a soft delete of a stream
     * with no events), {@link WrongExpectedVersionException} (naming a committed version; with
     * appends in flight it waits for them, as an append does) or the append's failure.
     */
    CompletionStage<Void> change(String stream, StreamChange change, long expectedVersion, UUID id,
                                 ConsumerGroups.Appends via) {
        try {
            StreamNames.check("stream", stream);
            checkNotTombstoned(stream);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        StreamEntry s = catalog.get(stream);
        if (s == null || s.assigned() == 0) {
            if (change.kind() == StreamChange.Kind.DELETE) {
                return CompletableFuture.failedFuture(new StreamNotFoundException(stream));
            }
            s = catalog.getOrCreate(stream); // settings or a tombstone for a stream with no events yet
        }
        CompletionStage<?> behind;
        synchronized (s) {
            if (get(stream).tombstoned()) {
                return CompletableFuture.failedFuture(new StreamTombstonedException(stream));
            }
            long current = s.assigned() - 1;
            if (matches(stream, expectedVersion, current)) {
                StreamEntry entry = s; // its subscriptions look again: a tombstone ends them
                return record(stream, change.applyTo(get(stream), current), id, via)
                        .thenRun(() -> reruns.execute(entry::wakeListeners));
            }
            behind = s.inFlight();
            long committed = index.lastVersion(s);
            if (!matches(stream, expectedVersion, committed) || behind == null) {
                return CompletableFuture.failedFuture(new WrongExpectedVersionException(stream, expectedVersion, committed));
            }
        }
        // Expected matches the committed version, not the in-flight appends': decide once they are done.
        CompletableFuture<Void> result = new CompletableFuture<>();
        behind.whenComplete((x, e) -> reruns.execute(() -> change(stream, change, expectedVersion, id, via)
                .whenComplete((v, f) -> {
                    if (f != null) {
                        result.completeExceptionally(f);
                    } else {
                        result.complete(v);
                    }
                })));
        return result;
    }

    /** Blocks until the stream's in-flight append (if any) completed: a replica decides in log order. */
    void awaitInFlight(String stream) {
        StreamEntry s = catalog.get(stream);
        if (s != null) {
            Appender.awaitInFlight(s);
        }
    }

    /** Applies {@code next} in memory and appends it; an append refused at once (nothing written) undoes it. */
    private synchronized CompletionStage<Void> record(String stream, StreamMetadata next, UUID id, ConsumerGroups.Appends via) {
        StreamMetadata before = metadata.put(stream, next);
        CompletableFuture<AppendOutcome> appended = via.appendFlushed(
                new NewEvent(id, EVENT_TYPE, StreamMetadataDescriptor.encode(stream, next), null, true)).toCompletableFuture();
        if (appended.isCompletedExceptionally()) {
            if (before == null) {
                metadata.remove(stream);
            } else {
                metadata.put(stream, before);
            }
        }
        return appended.thenApply(o -> {
            positions.merge(stream, o.position(), Math::max);
            return null;
        });
    }

    /**
     * Applies a {@code $meta} event copied from another replica's log (already checked): its
     * metadata in memory, and the same event appended through {@code via}.
     */
    synchronized CompletionStage<AppendOutcome> applyCopied(NewEvent event, ConsumerGroups.Appends via) {
        StreamMetadataDescriptor.Decoded d = StreamMetadataDescriptor.decode(ByteBuffer.wrap(event.data()));
        metadata.put(d.stream(), d.metadata());
        return via.appendFlushed(event).thenApply(o -> {
            positions.merge(d.stream(), o.position(), Math::max);
            return o;
        });
    }

    /**
     * Appends again the metadata of every stream whose newest change lies below {@code cut}, so that
     * retention can delete those segments without losing it (as {@link ConsumerGroups#carryForward}).
     * Waits until the new events are flushed.
     */
    synchronized void carryForward(long cut) {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (var e : positions.entrySet()) {
            if (e.getValue() < cut) {
                pending.add(record(e.getKey(), metadata.get(e.getKey()), ids.get(), appends).toCompletableFuture());
            }
        }
        for (var f : pending) {
            f.join();
        }
    }
}
