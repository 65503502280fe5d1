package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.CorruptRecordException;
import io.strand.log.LogRange;
import io.strand.log.LogSlice;
import io.strand.log.RecordDescriptor;
import io.strand.log.RecordVerifier;

import java.nio.ByteBuffer;

/**
 * The log's committed bytes as they lie on disk, for writers that send them without copying them
 * into the heap: {@code GET /log} (a file range for sendfile, or mapped bytes) and the binary page
 * (mapped segments whose records it slices by position). Positions given to it come from the store
 * (pages, {@link EventStore#checkRecordBoundary}). Every {@link MappedBytes} it returns holds its
 * segment mapped until closed, as the log's slices do. Thread-safe (the log is).
 */
public final class RawLog {
    private final CommitLog log;

    RawLog(CommitLog log) {
        this.log = log;
    }

    /** The first position still held. */
    public long firstPosition() {
        return log.firstPosition();
    }

    /**
     * The whole records from {@code position} (a record boundary) that fit in {@code maxBytes} (at
     * least one) and lie in one segment, as a file range. Throws when retention deleted the segment;
     * it may still delete the file after this returns, and a sendfile of it then fails.
     */
    public FileRange range(long position, int maxBytes) {
        LogRange r;
        try {
            r = log.range(position, maxBytes); // verifies every record it walks: a corrupt one is never shipped
        } catch (CorruptRecordException e) {
            throw CorruptEventException.of(e);
        }
        return new FileRange(r.file(), r.fileOffset(), r.length(), r.position(), r.nextPosition());
    }

    /**
     * Committed bytes from {@code position}, at most {@code maxBytes}, never beyond the end of the
     * position's segment; null when nothing is committed there yet. Close them to release the segment.
     */
    public MappedBytes read(long position, int maxBytes) {
        LogSlice s = log.read(position, maxBytes);
        return s == null ? null : new MappedBytes(s);
    }

    /**
     * The committed bytes of the segment holding {@code position}, from the segment's start (one
     * reference for many of its records); null when nothing is committed there. Close to release.
     */
    public MappedBytes readSegment(long position) {
        LogSlice s = log.readSegment(position);
        return s == null ? null : new MappedBytes(s);
    }

    /** The length of the record at {@code offset} of {@code segment} (a buffer from {@link #readSegment}), unverified. */
    public static int recordLength(ByteBuffer segment, int offset) {
        return RecordDescriptor.length(segment, offset);
    }

    /** A verifier for the records a page slices out of {@link #readSegment}'s bytes; one per page being built. */
    public Verifier verifier() {
        return new Verifier(log.integrity().verifier());
    }

    /**
     * Checks records in place (framing and CRC-32C: the CPU reads the mapped bytes, nothing is
     * copied) before a writer hands them to the socket. Keeps its own checksum and view: no
     * allocation per record. Not thread-safe.
     */
    public static final class Verifier {
        private final RecordVerifier verifier;

        private Verifier(RecordVerifier verifier) {
            this.verifier = verifier;
        }

        /**
         * The unpadded length of the verified record at {@code offset} of {@code segment} (from
         * {@link #readSegment}); {@link CorruptEventException} when it fails (counted and logged by the log).
         */
        public int recordLength(MappedBytes segment, int offset) {
            try {
                return verifier.verify(segment.buffer(), segment.position(), offset);
            } catch (CorruptRecordException e) {
                throw CorruptEventException.of(e);
            }
        }
    }

    /** The bytes a record of {@code recordLength} takes in the log: padded to the log's record alignment. */
    public static int framedLength(int recordLength) {
        return RecordDescriptor.align(recordLength);
    }
}
