package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.CorruptRecordException;
import io.strand.log.LogCursor;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Follows the whole log by position with a {@link LogCursor}; woken by the {@link Notifier} after
 * commits. The cursor
 * (and its segment reference) is opened on the first drain and closed when the subscription ends.
 * The first drain also checks that the starting position is a record boundary the index knows
 * ({@link AllReader#checkRecordBoundary}): the cursor's own check (one CRC-valid record) can be
 * fooled by event data that holds a valid record.
 */
final class AllSubscription<T> extends LogSubscription<T> {
    private final CommitLog log;
    private final AllReader all;
    private final Notifier notifier;
    private final Function<EventView, T> mapper;
    private final Consumer<LogSubscription<?>> onRelease;
    private final Runnable listener = this::wake;
    private final long fromPosition;
    private LogCursor cursor;
    private boolean checkStart; // drain-thread state after construction
    private volatile long readPosition = -1;

    AllSubscription(Flow.Subscriber<? super T> subscriber, Executor executor, CommitLog log, AllReader all,
                    Notifier notifier, long fromPosition, boolean checkStart,
                    Function<EventView, T> mapper, Consumer<LogSubscription<?>> onRelease) {
        super(subscriber, executor);
        this.checkStart = checkStart;
        this.log = log;
        this.all = all;
        this.notifier = notifier;
        this.mapper = mapper;
        this.fromPosition = fromPosition;
        this.onRelease = onRelease;
    }

    @Override
    long readPosition() {
        return readPosition;
    }

    @Override
    void register() {
        notifier.addAllListener(listener);
    }

    @Override
    T poll() {
        if (cursor != null && cursor.nextPosition() < log.firstPosition()) {
            cursor.close(); // fell behind retention: go on from what is held
            cursor = null;
        }
        if (cursor == null) {
            long from = Math.max(fromPosition, log.firstPosition());
            if (checkStart) {
                checkStart = false;
                if (from == fromPosition) {
                    all.checkRecordBoundary(from); // a client's position: a real record start?
                }
            }
            cursor = log.cursor(from);
        }
        T next;
        try {
            next = cursor.next() ? mapper.apply(new EventView(cursor.slice())) : null; // verified by the cursor
        } catch (CorruptRecordException e) {
            throw CorruptEventException.of(e); // ends the subscription with an error naming the record
        }
        readPosition = cursor.nextPosition();
        return next;
    }

    @Override
    void release() {
        notifier.removeAllListener(listener);
        if (cursor != null) {
            cursor.close();
            cursor = null;
        }
        onRelease.accept(this);
    }
}
