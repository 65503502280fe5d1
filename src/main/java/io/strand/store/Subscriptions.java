package io.strand.store;

import io.smallrye.mutiny.Multi;
import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;
import io.strand.log.CommitLog;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The open subscriptions: creates them (a cold {@link Multi} per call), keeps the set for metrics
 * and for completing them at shutdown, and tells the {@link Notifier} whether anyone listens, so
 * appends post no wake-ups while nobody subscribes. Stream subscriptions are woken through their
 * stream's listeners (by the notifier, after their append commits), {@code $all} subscriptions by
 * the notifier's commit listeners, and subscriptions to streams that do not exist yet through
 * {@link StreamWaiters}.
 *
 * <p>Thread-safe (a concurrent set; a subscription is added before it registers for wake-ups and
 * removed once, on its release). Apart from the readers because it owns long-lived state.
 */
final class Subscriptions {
    private final CommitLog log;
    private final StreamIndex index;
    private final RecordReader records;
    private final AllReader all;
    private final StreamWaiters waiters;
    private final Notifier notifier;
    private final Set<LogSubscription<?>> open = ConcurrentHashMap.newKeySet();
    private final Consumer<LogSubscription<?>> onRelease = this::released;
    private volatile boolean completing;
    private final StreamReader streams;

    Subscriptions(CommitLog log, StreamIndex index, RecordReader records, AllReader all, StreamWaiters waiters,
                  Notifier notifier, StreamReader streams) {
        this.streams = streams;
        this.log = log;
        this.index = index;
        this.records = records;
        this.all = all;
        this.waiters = waiters;
        this.notifier = notifier;
    }

    <T> Multi<T> stream(String stream, long fromVersion, Executor executor, Function<EventView, T> mapper) {
        return Multi.createFrom().publisher((Flow.Publisher<T>) subscriber -> {
            // Never getOrCreate: a subscription to a stream that does not exist waits by name.
            StreamEntry s = index.catalog().get(stream);
            long from = s == null ? Math.max(0, fromVersion)
                    : fromVersion == EventStore.END ? index.lastVersion(s) + 1 : Math.max(index.firstVersion(s), fromVersion);
            track(new StreamSubscription<>(subscriber, executor, index, records, waiters, stream, s, from, mapper,
                    onRelease, streams));
        });
    }

    <T> Multi<T> all(long fromPosition, Executor executor, Function<EventView, T> mapper) {
        return Multi.createFrom().publisher((Flow.Publisher<T>) subscriber -> {
            long from = fromPosition == EventStore.END ? log.committedPosition() : Math.max(fromPosition, log.firstPosition());
            // A client's position is checked on the first drain; the committed end needs no check.
            boolean check = fromPosition != EventStore.END && from == fromPosition;
            track(new AllSubscription<>(subscriber, executor, log, all, notifier, from, check, mapper,
                    onRelease));
        });
    }

    private void track(LogSubscription<?> subscription) {
        open.add(subscription);
        notifier.addInterest(); // before it registers and first reads: no commit after this goes unposted
        subscription.start();
        if (completing) {
            subscription.complete();
        }
    }

    private void released(LogSubscription<?> subscription) {
        if (open.remove(subscription)) {
            notifier.removeInterest();
        }
    }

    /** Completes every subscription (the store is closing) and those opened from now on. */
    void completeAll() {
        completing = true;
        for (LogSubscription<?> s : open) {
            s.complete();
        }
    }

    int count() {
        return open.size();
    }

    /** The largest distance in log bytes between a subscription's read position and the committed position. */
    long maxLagBytes() {
        long committed = log.committedPosition();
        long max = 0;
        for (LogSubscription<?> s : open) {
            long p = s.readPosition();
            if (p >= 0) {
                max = Math.max(max, committed - p);
            }
        }
        return max;
    }
}
