package io.strand.log;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether the log failed, and why: the first fatal error of the commit or flush thread (or of
 * lost committed bytes), after which appends are refused. Owns that one field. Handed to the
 * commit and flush threads instead of the log, so they can fail it without calling back into it.
 *
 * <p>Thread-safe. {@link #mark} stores under the append lock, so every appender that passed the
 * failure check (a plain {@link #get()} under the same lock in {@link LogAppender}) has registered
 * its waiter before {@code mark} returns: a waiter ring drained after it holds every waiter that
 * will ever need failing. Readers outside the lock (the flush thread, health checks) pair their
 * volatile load with that volatile store.
 */
final class LogFailure {
    private final ReentrantLock appendLock;
    private volatile LogException failure;

    LogFailure(ReentrantLock appendLock) {
        this.appendLock = appendLock;
    }

    /** Null while healthy. */
    LogException get() {
        return failure;
    }

    /** Marks the log failed (the first cause wins) and returns the failure it holds now. */
    LogException mark(LogException cause) {
        appendLock.lock();
        try {
            if (failure == null) {
                failure = cause;
            }
            return failure;
        } finally {
            appendLock.unlock();
        }
    }
}
