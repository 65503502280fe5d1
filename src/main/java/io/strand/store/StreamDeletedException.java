package io.strand.store;

/** The stream was soft-deleted and nothing was appended to it since (404 {@code stream-deleted}). */
public final class StreamDeletedException extends RuntimeException {
    private final String stream;

    public StreamDeletedException(String stream) {
        super("stream " + stream + " was deleted; appending to it starts it again at its next version", null, false, false);
        this.stream = stream;
    }

    public String stream() {
        return stream;
    }
}
