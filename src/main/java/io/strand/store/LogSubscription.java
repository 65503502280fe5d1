package io.strand.store;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A subscription that reads the log on demand: catch-up and live are one loop. It holds a read
 * position, never a queue: each drain reads at most as many events as were requested (and at most
 * {@link #BATCH} per run, so one subscriber cannot hog the executor), and when it has caught up it
 * waits to be woken by the store's {@link Notifier} thread (never the log's commit thread). A subscriber
 * that requests nothing costs its position only.
 *
 * <p>Drains run on the given executor, one at a time per subscription (a work-in-progress counter
 * serialises them and hands the state from run to run), so reads that may fault pages in never run
 * on the caller's (event-loop) thread. Cancel, complete and errors release the read state at once.
 */
abstract class LogSubscription<T> implements Flow.Subscription, Runnable {
    static final int BATCH = 256;

    private final Flow.Subscriber<? super T> subscriber;
    private final Executor executor;
    private final AtomicLong demand = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private volatile boolean cancelled;
    private volatile boolean completing;
    private volatile Throwable pendingError;
    private boolean done; // drain-thread state

    LogSubscription(Flow.Subscriber<? super T> subscriber, Executor executor) {
        this.subscriber = subscriber;
        this.executor = executor;
    }

    /** Reads the next committed event, or returns null when caught up. Runs on a drain. */
    abstract T poll();

    /** The log position of the next event this subscription will read, or -1 when caught up or unknown. */
    abstract long readPosition();

    /** Registers for wake-ups; called before the first drain, so no commit is missed. */
    abstract void register();

    /** Unregisters and releases segment references. Runs once, on a drain. */
    abstract void release();

    final void start() {
        register();
        subscriber.onSubscribe(this);
    }

    /** Called by the notifier (or a request): something may be readable now. */
    final void wake() {
        if (wip.getAndIncrement() == 0) {
            try {
                executor.execute(this);
            } catch (RuntimeException rejected) {
                pendingError = rejected;
                cancelled = true;
                wip.set(0);
                finish();
            }
        }
    }

    @Override
    public final void request(long n) {
        if (n <= 0) {
            pendingError = new IllegalArgumentException("rule 3.9: request must be positive, was " + n);
        } else {
            demand.getAndUpdate(d -> d + n < 0 ? Long.MAX_VALUE : d + n);
        }
        wake();
    }

    @Override
    public final void cancel() {
        cancelled = true;
        wake();
    }

    /** Ends the subscription with onComplete (the store is closing). */
    final void complete() {
        completing = true;
        wake();
    }

    @Override
    public final void run() {
        // Every wake-up so far is served by this pass; wake-ups during it make it go round again.
        int missed = wip.get();
        while (!done) {
            long emitted = 0;
            try {
                long d = demand.get();
                while (emitted < d && emitted < BATCH && !cancelled && !completing && pendingError == null) {
                    T e = poll();
                    if (e == null) {
                        break;
                    }
                    subscriber.onNext(e);
                    emitted++;
                }
                if (emitted > 0 && d != Long.MAX_VALUE) {
                    demand.addAndGet(-emitted);
                }
            } catch (RuntimeException e) {
                pendingError = e;
            }
            if (cancelled || completing || pendingError != null) {
                finish();
                return;
            }
            if (emitted == BATCH) {
                // Yield the executor to other subscriptions, even when onNext requested more: wip
                // stays above zero, so nobody else schedules this subscription meanwhile.
                try {
                    executor.execute(this);
                    return;
                } catch (RuntimeException rejected) {
                    pendingError = rejected;
                    finish();
                    return;
                }
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        try {
            release();
        } finally {
            if (!cancelled) {
                Throwable error = pendingError;
                if (error != null) {
                    subscriber.onError(error);
                } else {
                    subscriber.onComplete();
                }
            }
        }
    }
}
