package io.strand.log;

/**
 * A record below the committed position failed verification: its CRC-32C does not match
 * ({@code bad-crc}), or its framing is broken ({@code bad-length}, {@code bad-magic},
 * {@code bad-version}, {@code truncated}, {@code empty}). Media corruption, not the caller's fault: the store answers it
 * as a corrupt record naming {@link #position()}, never as data.
 *
 * <p>{@link #framingIntact()} says whether the record's lengths were still consistent (only its CRC
 * failed): a {@link LogCursor} then has moved past it and can go on; otherwise the cursor cannot
 * find the next record and stays where it is (the log's older behaviour: a {@link LogException}).
 */
public final class CorruptRecordException extends LogException {
    private final long position;
    private final String reason;
    private final boolean framingIntact;

    CorruptRecordException(long position, String segment, String reason, boolean framingIntact) {
        super("corrupt record: position=" + position + ", segment=" + segment + ", found=" + reason);
        this.position = position;
        this.reason = reason;
        this.framingIntact = framingIntact;
    }

    /** The log position of the record that failed. */
    public long position() {
        return position;
    }

    /** What failed: {@code bad-crc}, {@code bad-length}, {@code bad-magic}, {@code bad-version}, {@code truncated} or {@code empty}. */
    public String reason() {
        return reason;
    }

    /** Whether the record's lengths are consistent (only its checksum failed), so readers can step over it. */
    public boolean framingIntact() {
        return framingIntact;
    }
}
