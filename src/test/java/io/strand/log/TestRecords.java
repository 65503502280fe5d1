package io.strand.log;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;

/** Deterministic records for tests: record {@code i}'s content is a pure function of {@code i}. */
final class TestRecords {
    private TestRecords() {
    }

    static LogConfig smallConfig(java.nio.file.Path dir, boolean pool, FlushMode mode) {
        return LogConfig.defaults(dir)
                .withSegmentSize(64 * 1024)
                .withPool(pool, 4, 16 * 1024)
                .withFlush(mode, Duration.ofMillis(20));
    }

    static EventRecord record(long i) {
        Random r = new Random(i * 7919 + 13);
        byte[] data = new byte[r.nextInt(1500)];
        r.nextBytes(data);
        byte[] metadata = new byte[r.nextInt(40)];
        r.nextBytes(metadata);
        return new EventRecord(("stream-" + (i % 17)).getBytes(StandardCharsets.UTF_8),
                ("Type" + (i % 5)).getBytes(StandardCharsets.UTF_8), i, ~i, metadata, data, (i & 1) == 0);
    }

    /** Asserts that the cursor's current record is {@code record(i)} with stream version {@code version}. */
    static void assertRecord(LogCursor c, long i, long version) {
        EventRecord e = record(i);
        ByteBuffer b = c.buffer();
        int o = c.offset();
        check(RecordDescriptor.idMsb(b, o) == e.idMsb(), "idMsb", c, i);
        check(RecordDescriptor.idLsb(b, o) == e.idLsb(), "idLsb", c, i);
        check(RecordDescriptor.streamVersion(b, o) == version, "version", c, i);
        check(((RecordDescriptor.flags(b, o) & RecordDescriptor.FLAG_BINARY) != 0) == e.binary(), "binary", c, i);
        check(c.length() == e.recordLength(), "length", c, i);
        check(c.data().equals(ByteBuffer.wrap(e.data())), "data", c, i);
        check(b.slice(RecordDescriptor.metadataOffset(b, o), RecordDescriptor.metadataLength(b, o))
                .equals(ByteBuffer.wrap(e.metadata())), "metadata", c, i);
        check(b.slice(RecordDescriptor.streamOffset(o), RecordDescriptor.streamLength(b, o))
                .equals(ByteBuffer.wrap(e.stream())), "stream", c, i);
    }

    private static void check(boolean ok, String what, LogCursor c, long i) {
        if (!ok) {
            throw new AssertionError(what + " differs: record=" + i + ", position=" + c.position());
        }
    }
}
