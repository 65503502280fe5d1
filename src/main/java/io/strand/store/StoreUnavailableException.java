package io.strand.store;

/**
 * The store cannot do this now, through no fault of the request (a replicated store without a
 * majority or a leader, a node not yet caught up to a position asked for); nothing was written by
 * this attempt, or its outcome is unknown and a re-send with the same event ids is safe. Retry after
 * {@link #retryAfterSeconds()}.
 */
public final class StoreUnavailableException extends RuntimeException {
    private final int retryAfterSeconds;

    public StoreUnavailableException(String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
