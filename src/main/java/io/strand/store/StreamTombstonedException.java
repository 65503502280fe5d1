package io.strand.store;

/** The stream was deleted for ever ({@code ?hard=true}): no read, append or change (410 {@code stream-tombstoned}). */
public final class StreamTombstonedException extends RuntimeException {
    private final String stream;

    public StreamTombstonedException(String stream) {
        super("stream " + stream + " is tombstoned (deleted for ever): it cannot be read, appended to or changed",
                null, false, false);
        this.stream = stream;
    }

    public String stream() {
        return stream;
    }
}
