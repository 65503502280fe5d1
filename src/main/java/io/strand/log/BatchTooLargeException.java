package io.strand.log;

/** The batch is larger than one append may be ({@link CommitLog#maxBatchBytes()}); nothing was written. */
public final class BatchTooLargeException extends IllegalArgumentException {
    public BatchTooLargeException(String message) {
        super(message);
    }
}
