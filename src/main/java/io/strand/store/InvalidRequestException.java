package io.strand.store;

/**
 * The caller's input is invalid (a bad name, version, limit, batch or position): the only store failure the
 * HTTP edge answers with 400. Kept apart from {@link IllegalArgumentException}, which inside Strand means a
 * broken internal invariant and must surface as a 500, never as the client's fault.
 */
public final class InvalidRequestException extends RuntimeException {
    public InvalidRequestException(String message) {
        super(message, null, false, false);
    }
}
