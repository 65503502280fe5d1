package io.strand.log;

/**
 * The log cannot take this append right now (every pool buffer still holds uncommitted bytes, or too
 * many appends wait for commit or flush). Nothing was written; retrying later may succeed. The HTTP
 * layer answers 503 with Retry-After. Thrown often under overload, so it carries no stack trace.
 */
public final class LogOverloadedException extends RuntimeException {
    static final LogOverloadedException POOL_EXHAUSTED =
            new LogOverloadedException("log overloaded: every transient pool buffer holds uncommitted bytes");
    static final LogOverloadedException TOO_MANY_WAITERS =
            new LogOverloadedException("log overloaded: too many appends waiting for commit or flush");

    private LogOverloadedException(String message) {
        super(message, null, false, false);
    }
}
