package io.strand.log;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * One event to append, with its strings already encoded so the append path does no encoding.
 * The stream version is not part of it: the caller assigns versions when it appends a batch.
 * Immutable by convention: the arrays are not copied, so callers must not change them afterwards.
 */
public record EventRecord(byte[] stream, byte[] type, long idMsb, long idLsb,
                          byte[] metadata, byte[] data, boolean binary) {

    private static final byte[] EMPTY = new byte[0];

    public EventRecord {
        if (stream.length > RecordDescriptor.MAX_NAME_LENGTH || type.length > RecordDescriptor.MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("name too long: streamLength=" + stream.length + ", typeLength=" + type.length);
        }
        metadata = metadata == null ? EMPTY : metadata;
    }

    public static EventRecord of(String stream, String type, UUID id, byte[] metadata, byte[] data, boolean binary) {
        return new EventRecord(stream.getBytes(StandardCharsets.UTF_8), type.getBytes(StandardCharsets.UTF_8),
                id.getMostSignificantBits(), id.getLeastSignificantBits(), metadata, data, binary);
    }

    /** Unpadded length of this record in the log. */
    public int recordLength() {
        return RecordDescriptor.recordLength(stream.length, type.length, metadata.length, data.length);
    }

    public int framedLength() {
        return RecordDescriptor.framedLength(recordLength());
    }
}
