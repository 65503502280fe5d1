package io.strand.store;

import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/** Follows one stream by version: its index gives each next event's position. */
final class StreamSubscription extends LogSubscription {
    private final EventStore store;
    private final StreamIndex index;
    private final StreamEntry stream;
    private final Consumer<LogSubscription> onRelease;
    private final Runnable listener = this::wake;
    private long nextVersion;

    StreamSubscription(Flow.Subscriber<? super RecordedEvent> subscriber, Executor executor, EventStore store,
                       StreamIndex index, StreamEntry stream, long fromVersion, Consumer<LogSubscription> onRelease) {
        super(subscriber, executor);
        this.store = store;
        this.index = index;
        this.stream = stream;
        this.nextVersion = fromVersion;
        this.onRelease = onRelease;
    }

    @Override
    void register() {
        stream.addListener(listener);
    }

    @Override
    RecordedEvent poll() {
        if (nextVersion > index.lastVersion(stream)) {
            return null;
        }
        RecordedEvent e = store.readAt(stream.position(nextVersion));
        nextVersion++;
        return e;
    }

    @Override
    void release() {
        stream.removeListener(listener);
        onRelease.accept(this);
    }
}
