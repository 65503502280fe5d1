package io.strand.store.groups;

import io.smallrye.mutiny.Multi;
import io.strand.index.StreamEntry;
import io.strand.store.AppendOutcome;
import io.strand.store.Direction;
import io.strand.store.EventStore;
import io.strand.store.EventView;
import io.strand.store.NewEvent;
import io.strand.store.ReadPage;
import io.strand.store.PositionGoneException;
import io.strand.store.RecordedEvent;
import io.strand.store.StreamNotFoundException;
import io.strand.store.SystemWriter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/** What shared groups need of the store: their source, their own streams' records, and appends to them. */
final class GroupStore {
    static final String EVENT_TYPE = "shared-group";
    private final EventStore store;
    private final SystemWriter writer;
    private final Executor readers;
    private final Runnable onWriteFailure;
    /**
     * The version each group stream's next record gets, as handed out here: in a cluster the
     * catalog counts a record only once its Raft entry is applied, but the groups must know a
     * record's version when they send it (appends go out in order from the groups thread).
     */
    private final Map<String, Long> handedOut = new ConcurrentHashMap<>();

    GroupStore(EventStore store, SystemWriter writer, Executor readers, Runnable onWriteFailure) {
        this.store = store;
        this.writer = writer;
        this.readers = readers;
        this.onWriteFailure = onWriteFailure;
    }

    /** The source's events from {@code offset} (a version, or a log position for $all), catch-up then live, in place. */
    Multi<EventView> source(GroupSettings s, long offset) {
        return s.all() ? store.subscribeAllViews(offset, readers) : store.subscribeStreamViews(s.stream(), offset, readers);
    }

    /** Where the source ends now: the offset its next event will have (a version; for $all, the committed position). */
    long end(GroupSettings s) {
        if (s.all()) {
            return store.log().committedPosition();
        }
        try {
            return store.streamInfo(s.stream()).lastVersion() + 1;
        } catch (StreamNotFoundException | io.strand.store.StreamDeletedException none) {
            return 0;
        }
    }

    /** The source's event at {@code offset}. */
    RecordedEvent at(GroupSettings s, long offset) {
        if (!s.all()) {
            return store.readEvent(s.stream(), offset);
        }
        ReadPage page = store.readAll(offset, 1);
        if (page.events().isEmpty() || page.events().get(0).position() != offset) {
            throw new StreamNotFoundException("$all", offset);
        }
        return page.events().get(0);
    }

    /** Appends one record to a group's own stream, flushed. */
    CompletionStage<AppendOutcome> append(String stream, byte[] data) {
        return appendAll(stream, List.of(data));
    }

    /** Appends records to a group's own stream as one batch, flushed. */
    CompletionStage<AppendOutcome> appendAll(String stream, List<byte[]> data) {
        List<NewEvent> events = new ArrayList<>(data.size());
        for (byte[] d : data) {
            events.add(new NewEvent(UUID.randomUUID(), EVENT_TYPE, d, null, true));
        }
        long next = nextVersion(stream) + events.size();
        handedOut.put(stream, next);
        return writer.append(stream, events).whenComplete((o, e) -> {
            if (e != null) { // the versions handed out are not the log's any more: the catalog is the truth again
                handedOut.remove(stream);
                onWriteFailure.run();
            }
        });
    }

    /** The largest batch one append may carry, in framed bytes. */
    int maxBatchBytes() {
        return store.log().maxBatchBytes();
    }

    /**
     * Records of a group's own stream from {@code version} (negative: the first held): a page (empty
     * when the stream has none); from the first held when retention deleted {@code version}.
     */
    List<RecordedEvent> records(String stream, long version, int limit) {
        try {
            return store.readStream(stream, version, limit, Direction.FORWARD).events();
        } catch (StreamNotFoundException none) {
            return List.of();
        } catch (PositionGoneException gone) {
            return gone.first() > version ? records(stream, gone.first(), limit) : List.of();
        }
    }

    /** The version the stream's next append gets (in flight ones counted). Memory only. */
    long nextVersion(String stream) {
        StreamEntry e = store.index().catalog().get(stream);
        return Math.max(e == null ? 0 : e.assigned(), handedOut.getOrDefault(stream, 0L));
    }

    /** The log position of a version of the stream: -1 when retention deleted it, MAX_VALUE when it is not appended. Memory only. */
    long position(String stream, long version) {
        StreamEntry e = store.index().catalog().get(stream);
        if (e == null || version >= e.assigned()) {
            return Long.MAX_VALUE;
        }
        return version < e.base() ? -1 : e.position(version);
    }

    /** Registers {@code c} to run before retention deletes segments; the result removes it. */
    Runnable onRetention(LongConsumer c) {
        return store.addCarryForward(c);
    }

    /** A stream's first and last version, or null when it has none. Memory only. */
    io.strand.store.StreamInfo info(String stream) {
        try {
            return store.streamInfo(stream);
        } catch (StreamNotFoundException none) {
            return null;
        }
    }

    void checkRecordBoundary(long position) {
        store.checkRecordBoundary(position);
    }

    Executor readers() {
        return readers;
    }
}
