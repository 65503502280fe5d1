package io.strand.store;

import io.strand.log.CorruptRecordException;

/**
 * A record the read needed failed verification (its CRC-32C, or its framing): media corruption in
 * the log. It is never served as data; the edge answers it as {@code corrupt-record} naming
 * {@link #position()}. The log has already counted and logged it (once per position). The store's
 * translation of the log's {@link CorruptRecordException}, so the edge never sees the log's types.
 */
public final class CorruptEventException extends RuntimeException {
    private final long position;

    CorruptEventException(long position, String message) {
        super(message, null, false, false);
        this.position = position;
    }

    static CorruptEventException of(CorruptRecordException e) {
        return new CorruptEventException(e.position(), "the record at log position " + e.position()
                + " failed verification (" + e.reason() + "); it is not served");
    }

    /** The log position of the corrupt record. */
    public long position() {
        return position;
    }
}
