package io.strand.store;

/** What was asked for lay in segments retention has deleted; {@code first} is the first still held. */
public final class PositionGoneException extends RuntimeException {
    private final long first;

    public PositionGoneException(String message, long first) {
        super(message, null, false, false);
        this.first = first;
    }

    /** The first version (stream reads) or log position ({@code $all}) still held. */
    public long first() {
        return first;
    }
}
