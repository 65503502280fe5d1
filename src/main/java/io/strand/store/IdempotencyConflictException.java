package io.strand.store;

/**
 * A batch reuses event ids already appended to the stream, but is not a repeat of what was
 * appended: it mixes old and new ids, orders them differently, or changes an event's content.
 * Nothing was written.
 */
public final class IdempotencyConflictException extends RuntimeException {
    public IdempotencyConflictException(String message) {
        super(message, null, false, false);
    }
}
