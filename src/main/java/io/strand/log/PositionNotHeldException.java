package io.strand.log;

/**
 * A read asked for a position the log no longer holds: retention deleted its segment, between the
 * caller's index lookup and the read. Not the caller's fault and not a broken invariant: the store
 * turns it into "gone" (410) or carries a subscriber on to the first retained record.
 */
public final class PositionNotHeldException extends RuntimeException {
    private final long position;

    public PositionNotHeldException(long position, String detail) {
        super("position no longer held: position=" + position + (detail.isEmpty() ? "" : ", " + detail), null, false, false);
        this.position = position;
    }

    public long position() {
        return position;
    }
}
