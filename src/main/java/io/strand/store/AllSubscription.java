package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.LogCursor;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Follows the whole log by position with a {@link LogCursor}; woken by every commit. The cursor
 * (and its segment reference) is opened on the first drain and closed when the subscription ends.
 */
final class AllSubscription extends LogSubscription {
    private final CommitLog log;
    private final Consumer<LogSubscription> onRelease;
    private final LongConsumer listener = p -> wake();
    private final long fromPosition;
    private LogCursor cursor;

    AllSubscription(Flow.Subscriber<? super RecordedEvent> subscriber, Executor executor, CommitLog log,
                    long fromPosition, Consumer<LogSubscription> onRelease) {
        super(subscriber, executor);
        this.log = log;
        this.fromPosition = fromPosition;
        this.onRelease = onRelease;
    }

    @Override
    void register() {
        log.addCommitListener(listener);
    }

    @Override
    RecordedEvent poll() {
        if (cursor == null) {
            cursor = log.cursor(fromPosition);
        }
        return cursor.next() ? RecordCodec.decode(cursor.buffer(), cursor.offset(), cursor.position()) : null;
    }

    @Override
    void release() {
        log.removeCommitListener(listener);
        if (cursor != null) {
            cursor.close();
            cursor = null;
        }
        onRelease.accept(this);
    }
}
