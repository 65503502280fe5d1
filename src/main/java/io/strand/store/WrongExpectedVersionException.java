package io.strand.store;

/** The stream's current version is not what the append expected; nothing was written. */
public final class WrongExpectedVersionException extends RuntimeException {
    private final String stream;
    private final long expected;
    private final long current;

    public WrongExpectedVersionException(String stream, long expected, long current) {
        super("stream " + stream + " is at version " + (current < 0 ? "none (it does not exist)" : current)
                + ", expected " + ExpectedVersion.describe(expected), null, false, false);
        this.stream = stream;
        this.expected = expected;
        this.current = current;
    }

    public String stream() {
        return stream;
    }

    public long expected() {
        return expected;
    }

    /** The stream's last version, or -1 when it has no events. */
    public long current() {
        return current;
    }
}
