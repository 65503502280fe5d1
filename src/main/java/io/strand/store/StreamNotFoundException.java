package io.strand.store;

/** The stream has no events (or the requested version is not one of them). */
public final class StreamNotFoundException extends RuntimeException {
    private final String stream;
    private final long version;

    public StreamNotFoundException(String stream) {
        this(stream, -1);
    }

    public StreamNotFoundException(String stream, long version) {
        super(version < 0 ? "stream " + stream + " does not exist" : "stream " + stream + " has no version " + version,
                null, false, false);
        this.stream = stream;
        this.version = version;
    }

    public String stream() {
        return stream;
    }

    /** The version asked for, or -1 when the stream itself does not exist. */
    public long version() {
        return version;
    }

    public boolean streamExists() {
        return version >= 0;
    }
}
