package io.strand.store;

import io.strand.log.EventRecord;
import io.strand.log.RecordDescriptor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** Between the store's event types and the log's records. */
final class RecordCodec {
    private RecordCodec() {
    }

    /** Throws {@link InvalidRequestException} for a type longer than a record can hold. */
    static EventRecord encode(byte[] stream, NewEvent e) {
        byte[] type = e.type().getBytes(StandardCharsets.UTF_8);
        if (type.length > RecordDescriptor.MAX_NAME_LENGTH) {
            throw new InvalidRequestException("event types are at most " + RecordDescriptor.MAX_NAME_LENGTH
                    + " bytes of UTF-8: typeLength=" + type.length);
        }
        return new EventRecord(stream, type, e.id().getMostSignificantBits(), e.id().getLeastSignificantBits(),
                e.metadata(), e.data(), e.binary());
    }

    /** The batch as log records; {@link InvalidRequestException} for a bad batch. */
    static EventRecord[] encodeBatch(String stream, List<NewEvent> events, long expectedVersion) {
        int n = events == null ? 0 : events.size();
        if (n == 0) {
            throw new InvalidRequestException("a batch needs at least one event");
        }
        if (expectedVersion < 0 && expectedVersion != ExpectedVersion.ANY && expectedVersion != ExpectedVersion.NO_STREAM
                && expectedVersion != ExpectedVersion.EXISTS) {
            throw new InvalidRequestException("bad expected version: " + expectedVersion);
        }
        byte[] name = stream.getBytes(StandardCharsets.UTF_8);
        EventRecord[] records = new EventRecord[n];
        for (int i = 0; i < n; i++) {
            NewEvent e = events.get(i);
            if (e.type().isEmpty()) {
                throw new InvalidRequestException("event " + i + " has an empty type");
            }
            records[i] = RecordCodec.encode(name, e);
            for (int j = 0; j < i; j++) {
                if (records[j].idMsb() == records[i].idMsb() && records[j].idLsb() == records[i].idLsb()) {
                    throw new InvalidRequestException("event id " + e.id() + " appears twice in the batch");
                }
            }
        }
        return records;
    }

    /** Copies the record at {@code b[at..]} (log position {@code position}) onto the heap. */
    static RecordedEvent decode(ByteBuffer b, int at, long position) {
        return new RecordedEvent(
                string(b, RecordDescriptor.streamOffset(at), RecordDescriptor.streamLength(b, at)),
                RecordDescriptor.streamVersion(b, at),
                position,
                new UUID(RecordDescriptor.idMsb(b, at), RecordDescriptor.idLsb(b, at)),
                string(b, RecordDescriptor.typeOffset(b, at), RecordDescriptor.typeLength(b, at)),
                RecordDescriptor.timestamp(b, at),
                bytes(b, RecordDescriptor.dataOffset(b, at), RecordDescriptor.dataLength(b, at)),
                bytes(b, RecordDescriptor.metadataOffset(b, at), RecordDescriptor.metadataLength(b, at)),
                (RecordDescriptor.flags(b, at) & RecordDescriptor.FLAG_BINARY) != 0);
    }

    /** True when the record at {@code b[at..]} belongs to {@code stream} and carries event id {@code (msb, lsb)}. */
    static boolean sameId(ByteBuffer b, int at, byte[] stream, long msb, long lsb) {
        return RecordDescriptor.idMsb(b, at) == msb && RecordDescriptor.idLsb(b, at) == lsb
                && RecordDescriptor.streamLength(b, at) == stream.length
                && b.slice(RecordDescriptor.streamOffset(at), stream.length).equals(ByteBuffer.wrap(stream));
    }

    /** True when the record at {@code b[at..]} has the same type, data, metadata and kind as {@code r}. */
    static boolean sameContent(ByteBuffer b, int at, EventRecord r) {
        boolean binary = (RecordDescriptor.flags(b, at) & RecordDescriptor.FLAG_BINARY) != 0;
        return binary == r.binary()
                && equal(b, RecordDescriptor.typeOffset(b, at), RecordDescriptor.typeLength(b, at), r.type())
                && equal(b, RecordDescriptor.metadataOffset(b, at), RecordDescriptor.metadataLength(b, at), r.metadata())
                && equal(b, RecordDescriptor.dataOffset(b, at), RecordDescriptor.dataLength(b, at), r.data());
    }

    private static boolean equal(ByteBuffer b, int offset, int length, byte[] expected) {
        return length == expected.length && b.slice(offset, length).equals(ByteBuffer.wrap(expected));
    }

    private static String string(ByteBuffer b, int offset, int length) {
        return new String(bytes(b, offset, length), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer b, int offset, int length) {
        byte[] out = new byte[length];
        b.get(offset, out);
        return out;
    }
}
