package io.strand.log;

import java.util.concurrent.CompletableFuture;

/**
 * The stage {@link CommitLog#append} returns. Besides completing when the batch is committed (or
 * flushed), it tells the appender synchronously where the batch was placed: {@link #reserved()} is
 * set before {@code append} returns, or null when the append was refused and nothing was written.
 * The store uses it to index versions under its stream lock without waiting for the commit.
 */
public final class LogAppend extends CompletableFuture<AppendResult> {
    private final AppendResult reserved;

    LogAppend(AppendResult reserved) {
        this.reserved = reserved;
    }

    static LogAppend refused(Throwable cause) {
        LogAppend f = new LogAppend(null);
        f.completeExceptionally(cause);
        return f;
    }

    /** Where the batch went; null when it was refused (the stage is then already failed). */
    public AppendResult reserved() {
        return reserved;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>(); // dependents are plain futures
    }
}
