package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.LogConfig;
import io.strand.log.LogRange;
import io.strand.log.LogSlice;
import io.strand.log.RecordDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.strand.store.StoreFixture.assertEvent;
import static io.strand.store.StoreFixture.event;
import static io.strand.store.StoreFixture.events;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Replica#applyCopied}: records copied from another replica's log (as {@code GET /log} reads
 * them: whole records of one segment, cut by bytes, not batches) are verified and applied again,
 * giving the same bytes, streams, versions and group positions; what fails a check is refused whole.
 */
class CopiedRecordsTest {
    private static final long T0 = 1_800_000_000_000L;

    /** Small segments and pool buffers, so a copy crosses segment ends (end-of-segment markers). */
    private static LogConfig config(Path dir) {
        return StoreFixture.logConfig(dir).withSegmentSize(16 * 1024).withPool(true, 4, 8 * 1024);
    }

    /** The source: 300 replicated entries (batches of 1-3 events over 4 streams, two group commits, a refusal). */
    private static long fill(StoreFixture source) throws Exception {
        Replica r = source.store.replica();
        long raftIndex = 0;
        for (int i = 0; i < 300; i++) {
            raftIndex++;
            if (i == 40) { // entry 41
                r.applyGroupCommit("g", "s-1", 5, UUID.randomUUID(), T0 + i, raftIndex).toCompletableFuture().get(10, TimeUnit.SECONDS);
                continue;
            }
            if (i == 41) { // entry 42, refused: it writes nothing
                long index = raftIndex;
                assertThrows(Exception.class, () -> r.applyReplicated("s-0", events(9_000, 1), 999, false, T0, index)
                        .toCompletableFuture().get(10, TimeUnit.SECONDS));
                continue;
            }
            r.applyReplicated("s-" + i % 4, events(i * 10L, 1 + i % 3), ExpectedVersion.ANY, false, T0 + i, raftIndex)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        raftIndex++;
        r.applyGroupCommit("g", "s-1", 7, UUID.randomUUID(), T0 + 400, raftIndex).toCompletableFuture().get(10, TimeUnit.SECONDS);
        return raftIndex;
    }

    @Test
    void copiesInChunksToTheSameBytesStreamsAndGroupPositions(@TempDir Path dir) throws Exception {
        try (StoreFixture source = StoreFixture.open(config(dir.resolve("a")), StoreConfig.defaults())) {
            long last = fill(source);
            try (StoreFixture target = StoreFixture.open(config(dir.resolve("b")), StoreConfig.defaults())) {
                int[] chunks = copyAll(source.log, target, 700, Long.MAX_VALUE);
                assertTrue(chunks[0] > 10, "copied in many chunks, batches cut between them: " + chunks[0]);
                assertTrue(chunks[1] > 0, "some chunks start in the next segment (this log ended where the source's"
                        + " segment did): " + chunks[1]);
                assertArrayEquals(readableBytes(source.log), readableBytes(target.log));
                assertEquals(last, target.store.replica().lastRaftIndex());
                for (int s = 0; s < 4; s++) {
                    assertEquals(source.store.streamInfo("s-" + s), target.store.streamInfo("s-" + s));
                }
                assertEvent(event(2990), target.store.readEvent("s-3", source.store.streamInfo("s-3").lastVersion() - 2));
                assertEquals(OptionalLong.of(7), target.store.groupVersion("g", "s-1"));
            }
            // The index and the groups of the copy are those of any log: they load again after a restart.
            try (StoreFixture target = StoreFixture.open(config(dir.resolve("b")), StoreConfig.defaults())) {
                assertEquals(OptionalLong.of(7), target.store.groupVersion("g", "s-1"));
                assertEquals(source.store.streamInfo("s-2"), target.store.streamInfo("s-2"));
                assertEquals(last, target.store.replica().lastRaftIndex());
            }
        }
    }

    @Test
    void stopsBeforeTheFirstBatchBeyondTheRaftIndexGiven(@TempDir Path dir) throws Exception {
        try (StoreFixture source = StoreFixture.open(config(dir.resolve("a")), StoreConfig.defaults());
             StoreFixture target = StoreFixture.open(config(dir.resolve("b")), StoreConfig.defaults())) {
            fill(source);
            copyAll(source.log, target, 64 * 1024, 42); // entry 42 was refused: the copy holds entries up to 41
            assertEquals(41, target.store.replica().lastRaftIndex());
            assertEquals(OptionalLong.of(5), target.store.groupVersion("g", "s-1"), "entry 41, the first group commit");
            Replica.Copied again = target.store.replica().applyCopied(chunk(source.log, target.log.committedPosition(),
                    64 * 1024), target.log.committedPosition(), 42);
            assertTrue(again.reachedLimit());
            assertEquals(0, again.records());
        }
    }

    @Test
    void refusesACorruptRecordAndAppliesNothingOfItsChunk(@TempDir Path dir) throws Exception {
        try (StoreFixture source = StoreFixture.open(config(dir.resolve("a")), StoreConfig.defaults());
             StoreFixture target = StoreFixture.open(config(dir.resolve("b")), StoreConfig.defaults())) {
            fill(source);
            ByteBuffer bytes = chunk(source.log, 0, 4096);
            int second = RecordDescriptor.align(RecordDescriptor.length(bytes, 0));
            bytes.put(second + RecordDescriptor.HEADER_LENGTH + 2, (byte) (bytes.get(second + RecordDescriptor.HEADER_LENGTH + 2) ^ 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> target.store.replica().applyCopied(bytes, 0, Long.MAX_VALUE));
            assertTrue(e.getMessage().contains("bad-crc"), e.getMessage());
            assertEquals(0, target.log.committedPosition(), "not even the record before it");
            assertThrows(IllegalArgumentException.class, () -> target.store.replica().applyCopied(chunk(source.log, 0, 4096),
                    8, Long.MAX_VALUE), "bytes for another position than where this log ends");
        }
    }

    @Test
    void aReplicaWithAnotherHistoryIsFoundDiverging(@TempDir Path dir) throws Exception {
        try (StoreFixture source = StoreFixture.open(config(dir.resolve("a")), StoreConfig.defaults());
             StoreFixture target = StoreFixture.open(config(dir.resolve("b")), StoreConfig.defaults())) {
            source.store.replica().applyReplicated("a", events(0, 1), ExpectedVersion.ANY, false, T0, 1).toCompletableFuture().get();
            source.store.replica().applyReplicated("b", events(1, 1), ExpectedVersion.ANY, false, T0, 2).toCompletableFuture().get();
            // Same size, another stream: the positions agree, the versions of "b" do not.
            target.store.replica().applyReplicated("b", events(0, 1), ExpectedVersion.ANY, false, T0, 1).toCompletableFuture().get();
            long end = target.log.committedPosition();
            assertEquals(end, source.store.readEvent("b", 0).position());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> target.store.replica().applyCopied(chunk(source.log, end, 4096), end, Long.MAX_VALUE));
            assertTrue(e.getMessage().contains("diverged"), e.getMessage());
        }
    }

    /**
     * Copies {@code source} into {@code target} in chunks of {@code maxBytes}; returns how many, and
     * how many of them started at the next segment (GET /log skips an end-of-segment marker).
     */
    private static int[] copyAll(CommitLog source, StoreFixture target, int maxBytes, long maxRaftIndex) throws IOException {
        int chunks = 0;
        int rolled = 0;
        for (long from = target.log.committedPosition(); from < source.committedPosition(); chunks++) {
            rolled += source.range(from, maxBytes).position() != from ? 1 : 0;
            Replica.Copied c = target.store.replica().applyCopied(chunk(source, from, maxBytes), from, maxRaftIndex);
            if (c.reachedLimit()) {
                break;
            }
            assertTrue(c.position() > from, "progress at " + from);
            from = c.position();
        }
        return new int[]{chunks, rolled};
    }

    /** What GET /log sends from {@code from}: the range's bytes, read from the segment file. */
    static ByteBuffer chunk(CommitLog log, long from, int maxBytes) throws IOException {
        LogRange r = log.range(from, maxBytes);
        ByteBuffer out = ByteBuffer.allocate(r.length());
        try (FileChannel ch = FileChannel.open(r.file(), StandardOpenOption.READ)) {
            while (out.hasRemaining() && ch.read(out, r.fileOffset() + out.position()) > 0) {
                // read on
            }
        }
        return out.flip();
    }

    /** The committed log with the unused rest of each segment zeroed (stale pool bytes differ between logs). */
    private static byte[] readableBytes(CommitLog log) {
        ByteBuffer out = ByteBuffer.allocate((int) log.committedPosition());
        for (long p = 0; p < log.committedPosition(); ) {
            try (LogSlice s = log.read(p, 1 << 20)) {
                ByteBuffer b = s.buffer();
                for (int at = 0; at < b.limit(); ) {
                    int length = RecordDescriptor.length(b, at);
                    boolean marker = RecordDescriptor.isEndOfSegment(b, at);
                    int framed = marker ? length : RecordDescriptor.align(length);
                    out.put(b.slice(at, marker ? RecordDescriptor.MARKER_LENGTH : framed));
                    if (marker) {
                        out.position(out.position() + length - RecordDescriptor.MARKER_LENGTH);
                    }
                    at += framed;
                }
                p += b.limit();
            }
        }
        return out.array();
    }
}
