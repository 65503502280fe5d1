package io.strand.store;

import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Follows one stream by version: its index gives each next event's position.
 *
 * <p>A stream that does not exist yet has no catalog entry (subscribing must not create one, or
 * random subscriptions would grow the catalog without bound): the subscription then waits under the
 * stream's name in the store's {@link StreamWaiters}, and its drain attaches it to the entry once the stream's
 * first events are appended. It registers as a waiter before it first looks the name up (under the
 * catalog's creation lock), and the append that commits a stream's first events wakes the waiters
 * after the entry exists, so the first event is never missed.
 */
final class StreamSubscription<T> extends LogSubscription<T> {
    private final StreamIndex index;
    private final RecordReader records;
    private final StreamWaiters waiters;
    private final Function<EventView, T> mapper;
    private final String name;
    private final Consumer<LogSubscription<?>> onRelease;
    private final Runnable listener = this::wake;
    /** Null while the stream does not exist; set once, on a drain. */
    private volatile StreamEntry stream;
    private volatile long nextVersion;
    private final StreamReader streams;
    /** Until the first event is read: the start also skips what maxAge hides (a read of the log). */
    private boolean starting = true;

    /** {@code stream} null: wait for {@code name} to be created, then read it from {@code fromVersion}. */
    StreamSubscription(Flow.Subscriber<? super T> subscriber, Executor executor, StreamIndex index,
                       RecordReader records, StreamWaiters waiters, String name, StreamEntry stream, long fromVersion,
                       Function<EventView, T> mapper, Consumer<LogSubscription<?>> onRelease, StreamReader streams) {
        super(subscriber, executor);
        this.streams = streams;
        this.mapper = mapper;
        this.index = index;
        this.records = records;
        this.waiters = waiters;
        this.name = name;
        this.stream = stream;
        this.nextVersion = fromVersion;
        this.onRelease = onRelease;
    }

    @Override
    long readPosition() {
        StreamEntry s = stream;
        long v = nextVersion; // a racy read is fine for a metric
        return s != null && v <= index.lastVersion(s) && v >= s.base() ? s.position(v) : -1;
    }

    @Override
    void register() {
        if (stream != null) {
            stream.addListener(listener);
        } else {
            waiters.await(name, listener);
        }
    }

    @Override
    T poll() {
        StreamEntry s = stream;
        if (s == null) {
            // Settled: registered as a waiter before this lookup, so either it sees the entry or the
            // append that creates the stream sees the registration when it wakes the waiters.
            s = index.catalog().getSettled(name);
            if (s == null) {
                return null; // still waiting: woken by the append that commits its first events
            }
            s.addListener(listener); // before reading, so no commit is missed
            waiters.stopAwaiting(name, listener);
            stream = s;
            nextVersion = Math.max(nextVersion, index.firstVersion(s));
        }
        nextVersion = streams.subscriptionNext(name, s, nextVersion, starting); // what the stream's metadata hides
        starting = false;
        if (nextVersion > index.lastVersion(s)) {
            return null;
        }
        if (s.position(nextVersion) < records.firstPosition()) {
            nextVersion = index.firstVersion(s); // fell behind retention: go on from what is held
            if (nextVersion > index.lastVersion(s)) {
                return null;
            }
        }
        T e = mapper.apply(records.view(s.position(nextVersion)));
        nextVersion++;
        return e;
    }

    @Override
    void release() {
        StreamEntry s = stream;
        if (s != null) {
            s.removeListener(listener);
        }
        waiters.stopAwaiting(name, listener); // no-op once attached
        onRelease.accept(this);
    }
}
