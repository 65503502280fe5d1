package io.strand.store;

import io.strand.log.BatchTooLargeException;
import io.strand.log.CorruptRecordException;
import io.strand.log.LogException;
import io.strand.log.LogOverloadedException;

/**
 * What a failure of an append or read means for its caller, for the edge that answers it (the HTTP
 * problem mapping) without knowing the log's exception types: a translation, not a wrapper, so the
 * thrown exceptions and their messages stay what they are.
 */
public enum StoreFailure {
    /** Nothing was written; the log is overloaded (pool full, too many waiting appends): retry shortly. */
    OVERLOADED,
    /** The batch is larger than one append may be; nothing was written. */
    BATCH_TOO_LARGE,
    /** The log failed because the volume is full. */
    NO_SPACE,
    /** A record failed verification (media corruption): never served; {@link #corruptPosition} names it. */
    CORRUPT_RECORD,
    /** The log itself failed (I/O error, closed, corrupt files): not the caller's fault. */
    LOG_FAILED,
    /** None of the above: the caller maps it on its own (a store exception, a validation error, or a bug). */
    OTHER;

    /** The meaning of {@code t} (not unwrapped: pass the cause of a completion exception). */
    public static StoreFailure of(Throwable t) {
        if (t instanceof CorruptEventException || t instanceof CorruptRecordException) {
            return CORRUPT_RECORD; // the log's own type too: an append's repeat check reads records
        }
        if (t instanceof LogOverloadedException) {
            return OVERLOADED;
        }
        if (t instanceof BatchTooLargeException) {
            return BATCH_TOO_LARGE;
        }
        if (t instanceof LogException) {
            return noSpace(t) ? NO_SPACE : LOG_FAILED;
        }
        return OTHER;
    }

    /** The log position of a {@link #CORRUPT_RECORD} failure, or -1 for any other. */
    public static long corruptPosition(Throwable t) {
        if (t instanceof CorruptEventException c) {
            return c.position();
        }
        return t instanceof CorruptRecordException c ? c.position() : -1;
    }

    private static boolean noSpace(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (String.valueOf(c.getMessage()).contains("No space left")) {
                return true;
            }
        }
        return false;
    }
}
