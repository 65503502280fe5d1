package io.strand.store.groups;

import io.smallrye.mutiny.Multi;
import io.strand.store.AppendOutcome;
import io.strand.store.Direction;
import io.strand.store.EventStore;
import io.strand.store.EventView;
import io.strand.store.NewEvent;
import io.strand.store.ReadPage;
import io.strand.store.RecordedEvent;
import io.strand.store.StreamNotFoundException;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** What shared groups need of the store: their source, their own streams' records, and appends to them. */
final class GroupStore {
    static final String EVENT_TYPE = "shared-group";
    private final EventStore store;
    private final Executor readers;

    GroupStore(EventStore store, Executor readers) {
        this.store = store;
        this.readers = readers;
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
        return append(stream, List.of(data));
    }

    /** Appends records to a group's own stream in one append (consecutive versions), flushed. */
    CompletionStage<AppendOutcome> append(String stream, List<byte[]> data) {
        List<NewEvent> events = new java.util.ArrayList<>(data.size());
        for (byte[] d : data) {
            events.add(new NewEvent(UUID.randomUUID(), EVENT_TYPE, d, null, true));
        }
        return store.appendSystem(stream, events);
    }

    /** Records of a group's own stream from {@code version}: a page (empty when the stream has none). */
    List<RecordedEvent> records(String stream, long version, int limit) {
        try {
            return store.readStream(stream, version, limit, Direction.FORWARD).events();
        } catch (StreamNotFoundException none) {
            return List.of();
        }
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
