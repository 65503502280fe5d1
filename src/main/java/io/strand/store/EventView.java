package io.strand.store;

import io.strand.log.LogSlice;
import io.strand.log.RecordDescriptor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A committed event read in place: a view of its record in the mapped segment, holding the
 * segment until {@link #close()}. Nothing is copied: {@link #data()} and {@link #record()} are
 * slices of the mapping, for writers that hand them to the socket (the HTTP binary and SSE paths).
 * Using a slice after close is a bug. Not thread-safe; close exactly once.
 */
public final class EventView implements AutoCloseable {
    private final LogSlice slice;
    private final ByteBuffer b;

    EventView(LogSlice slice) {
        this.slice = slice;
        this.b = slice.buffer();
    }

    public long position() {
        return slice.position();
    }

    public long version() {
        return RecordDescriptor.streamVersion(b, 0);
    }

    public long timestamp() {
        return RecordDescriptor.timestamp(b, 0);
    }

    public UUID id() {
        return new UUID(RecordDescriptor.idMsb(b, 0), RecordDescriptor.idLsb(b, 0));
    }

    public long idMsb() {
        return RecordDescriptor.idMsb(b, 0);
    }

    public long idLsb() {
        return RecordDescriptor.idLsb(b, 0);
    }

    public boolean binary() {
        return (RecordDescriptor.flags(b, 0) & RecordDescriptor.FLAG_BINARY) != 0;
    }

    /** Whether {@code filter} passes this event, on the record's header bytes in place (nothing sliced or decoded). */
    boolean passes(EventFilter filter) {
        return filter.matches(b, RecordDescriptor.streamOffset(0), RecordDescriptor.streamLength(b, 0),
                RecordDescriptor.typeOffset(b, 0), RecordDescriptor.typeLength(b, 0));
    }

    public String stream() {
        return string(RecordDescriptor.streamOffset(0), RecordDescriptor.streamLength(b, 0));
    }

    public String type() {
        return string(RecordDescriptor.typeOffset(b, 0), RecordDescriptor.typeLength(b, 0));
    }

    /** The stream name's UTF-8 bytes, in place. */
    public ByteBuffer streamBytes() {
        return b.slice(RecordDescriptor.streamOffset(0), RecordDescriptor.streamLength(b, 0));
    }

    /** The event type's UTF-8 bytes, in place. */
    public ByteBuffer typeBytes() {
        return b.slice(RecordDescriptor.typeOffset(b, 0), RecordDescriptor.typeLength(b, 0));
    }

    /** The data bytes, in place (JSON text unless {@link #binary()}). */
    public ByteBuffer data() {
        return b.slice(RecordDescriptor.dataOffset(b, 0), RecordDescriptor.dataLength(b, 0));
    }

    /** The metadata bytes (a JSON object's text, or empty), in place. */
    public ByteBuffer metadata() {
        return b.slice(RecordDescriptor.metadataOffset(b, 0), RecordDescriptor.metadataLength(b, 0));
    }

    /** The whole record as stored in the log (header, CRC, names, metadata, data), unpadded. */
    public ByteBuffer record() {
        return b.duplicate();
    }

    /** A heap copy. */
    public RecordedEvent copy() {
        return RecordCodec.decode(b, 0, slice.position());
    }

    private String string(int offset, int length) {
        byte[] bytes = new byte[length];
        b.get(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        slice.close();
    }
}
