package io.strand.store;

import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.Function;

/** Follows one stream by version: its index gives each next event's position. */
final class StreamSubscription<T> extends LogSubscription<T> {
    private final EventStore store;
    private final StreamIndex index;
    private final Function<EventView, T> mapper;
    private final StreamEntry stream;
    private final Consumer<LogSubscription<?>> onRelease;
    private final Runnable listener = this::wake;
    private volatile long nextVersion;

    StreamSubscription(Flow.Subscriber<? super T> subscriber, Executor executor, EventStore store,
                       StreamIndex index, StreamEntry stream, long fromVersion, Function<EventView, T> mapper,
                       Consumer<LogSubscription<?>> onRelease) {
        super(subscriber, executor);
        this.mapper = mapper;
        this.store = store;
        this.index = index;
        this.stream = stream;
        this.nextVersion = fromVersion;
        this.onRelease = onRelease;
    }

    @Override
    long readPosition() {
        long v = nextVersion; // a racy read is fine for a metric
        return v <= index.lastVersion(stream) && v >= stream.base() ? stream.position(v) : -1;
    }

    @Override
    void register() {
        stream.addListener(listener);
    }

    @Override
    T poll() {
        if (nextVersion > index.lastVersion(stream)) {
            return null;
        }
        if (stream.position(nextVersion) < store.log().firstPosition()) {
            nextVersion = index.firstVersion(stream); // fell behind retention: go on from what is held
            if (nextVersion > index.lastVersion(stream)) {
                return null;
            }
        }
        T e = mapper.apply(store.viewAt(stream.position(nextVersion)));
        nextVersion++;
        return e;
    }

    @Override
    void release() {
        stream.removeListener(listener);
        onRelease.accept(this);
    }
}
