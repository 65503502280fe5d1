package io.strand.store;

import io.strand.log.SegmentFiles;

import io.strand.log.Checkpoint;
import io.strand.log.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static io.strand.store.StoreFixture.assertEvent;
import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Opening reconciles the index files with the recovered log, whatever state a crash left them in. */
class IndexRecoveryTest {

    @Test
    void shouldDropIndexEntriesBeyondALogTailLostToACrash(@TempDir Path dir) throws Exception {
        List<AppendOutcome> outcomes = new ArrayList<>();
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 200; i++) {
                outcomes.add(f.append("t" + (i % 3), ExpectedVersion.ANY, event(i)));
            }
        }
        // As after power loss: the log lost its last 50 records (recovery finds a corrupt one and cuts
        // there), while the index had already indexed and checkpointed them.
        long cut = outcomes.get(150).position();
        Checkpoint.checkpoint(dir).write(outcomes.get(100).position());
        Checkpoint.cleanShutdownMarker(dir).delete();
        flipByte(dir, cut + 60);

        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(cut, f.log.committedPosition(), "the log was cut at the corrupt record");
            for (int s = 0; s < 3; s++) {
                long expectedLast = (150 - 1 - s) / 3; // events 0..149 survive, stream s holds i % 3 == s
                assertEquals(expectedLast, f.store.streamInfo("t" + s).lastVersion(), "stream t" + s);
            }
            assertEvent(event(149), f.store.readEvent("t2", 49));
            assertThrows(StreamNotFoundException.class, () -> f.store.readEvent("t0", 50));
            // Appends continue at the right versions and land in the index and $all alike.
            AppendOutcome next = f.append("t0", 49, event(1000));
            assertEquals(50, next.firstVersion());
            assertEquals(cut, next.position());
            assertEvent(event(1000), f.store.readEvent("t0", 50));
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(50, f.store.streamInfo("t0").lastVersion());
            assertEquals(0, f.store.index().rebuiltEntries());
        }
    }

    @Test
    void shouldRebuildFromTheLogPastTornOrCorruptIndexFiles(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 300; i++) {
                f.append("u" + (i % 30), ExpectedVersion.ANY, event(i));
            }
        }
        Path entries = StoreFixture.entriesFile(dir, 0); // 300 small events: all in the first segment
        Path streams = dir.resolve("index").resolve("streams");
        try (RandomAccessFile raf = new RandomAccessFile(entries.toFile(), "rw")) {
            raf.setLength(raf.length() - 17); // torn last entry
            raf.seek(20 + 40L * 100 + 3);     // and a corrupt one in the middle (after the 20-byte header)
            raf.write(0x5A);
        }
        try (RandomAccessFile raf = new RandomAccessFile(streams.toFile(), "rw")) {
            raf.setLength(raf.length() - 3); // torn last name
        }
        Files.write(entries, new byte[]{1, 2, 3}, StandardOpenOption.APPEND);
        try (StoreFixture f = StoreFixture.open(dir)) {
            // Loading stops at the first entry it cannot trust: entry 29 names stream u29, whose name was
            // torn off the catalog (the corrupt entry 100 would have stopped it otherwise).
            assertEquals(29, f.store.index().loadedEntries());
            assertEquals(271, f.store.index().rebuiltEntries());
            for (int i = 0; i < 300; i++) {
                assertEvent(event(i), f.store.readEvent("u" + (i % 30), i / 30));
            }
            assertEquals(30, f.store.listStreams(0, 100).streams().size());
        }
    }

    @Test
    void shouldKeepTheEntriesBeforeACorruptOne(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 300; i++) {
                f.append("v" + (i % 30), ExpectedVersion.ANY, event(i));
            }
        }
        try (RandomAccessFile raf = new RandomAccessFile(StoreFixture.entriesFile(dir, 0).toFile(), "rw")) {
            raf.seek(20 + 40L * 100 + 3); // entry 100, after the 20-byte file header
            raf.write(0x5A);
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(100, f.store.index().loadedEntries());
            assertEquals(200, f.store.index().rebuiltEntries());
            assertEvent(event(299), f.store.readEvent("v29", 9));
        }
    }

    /** Appends events over several segments, closes, and returns the entries files' bases in order. */
    private static List<Long> manySegments(Path dir, int events) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < events; i++) {
                f.append("w" + (i % 7), ExpectedVersion.ANY, event(i));
            }
        }
        try (var files = Files.list(dir.resolve("index").resolve("entries"))) {
            List<Long> bases = files.map(p -> Segment.parseFileName(p.getFileName().toString())).sorted().toList();
            assertTrue(bases.size() >= 3, "spans segments: " + bases);
            return bases;
        }
    }

    private static long entriesIn(Path dir, long base) throws Exception {
        return Files.size(StoreFixture.entriesFile(dir, base)) / 40;
    }

    private static void assertAllRead(StoreFixture f, int events) {
        for (int i = 0; i < events; i++) {
            assertEvent(event(i), f.store.readEvent("w" + (i % 7), i / 7));
        }
        AppendOutcome next = f.append("w0", (events - 1) / 7, event(events * 7L));
        assertEquals((events - 1) / 7 + 1, next.firstVersion());
    }

    @Test
    void shouldCutAtACorruptEntryInAMiddleSegmentAndDropTheLaterFiles(@TempDir Path dir) throws Exception {
        int events = 7000;
        List<Long> bases = manySegments(dir, events);
        long inFirst = entriesIn(dir, bases.get(0));
        assertEquals(events, bases.stream().mapToLong(b -> {
            try {
                return entriesIn(dir, b);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).sum(), "every event has one entry, in its segment's file");
        try (RandomAccessFile raf = new RandomAccessFile(StoreFixture.entriesFile(dir, bases.get(1)).toFile(), "rw")) {
            raf.seek(20 + 40L * 10 + 5); // entry 10, after the 20-byte file header
            raf.write(0x5A);
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(inFirst + 10, f.store.index().loadedEntries());
            assertEquals(events - inFirst - 10, f.store.index().rebuiltEntries());
            assertAllRead(f, events);
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(events + 1, f.store.index().loadedEntries(), "the files were written again, per segment");
            assertEquals(0, f.store.index().rebuiltEntries());
        }
    }

    @Test
    void shouldRebuildFromAMissingEntriesFileOn(@TempDir Path dir) throws Exception {
        int events = 7000;
        List<Long> bases = manySegments(dir, events);
        long inFirst = entriesIn(dir, bases.get(0));
        Files.delete(StoreFixture.entriesFile(dir, bases.get(1)));
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(inFirst, f.store.index().loadedEntries(), "no file may follow a gap");
            assertEquals(events - inFirst, f.store.index().rebuiltEntries());
            assertAllRead(f, events);
        }
    }

    @Test
    void shouldReplaceTheSingleEntriesFileOfAnEarlierVersion(@TempDir Path dir) throws Exception {
        int events = 7000;
        List<Long> bases = manySegments(dir, events);
        // An earlier version kept every entry in one file, index/entries, where the directory is now.
        Path entries = dir.resolve("index").resolve("entries");
        Path single = dir.resolve("index").resolve("entries.single");
        try (var out = Files.newOutputStream(single)) {
            for (long base : bases) {
                Files.copy(StoreFixture.entriesFile(dir, base), out);
            }
        }
        for (long base : bases) {
            Files.delete(StoreFixture.entriesFile(dir, base));
        }
        Files.delete(entries);
        Files.move(single, entries);
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertTrue(Files.isDirectory(entries));
            assertEquals(0, f.store.index().loadedEntries(), "the old file is dropped");
            assertEquals(events, f.store.index().rebuiltEntries(), "and the index rebuilt from the log");
            assertAllRead(f, events);
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(events + 1, f.store.index().loadedEntries());
        }
    }

    private static void flipByte(Path dir, long position) throws Exception {
        SegmentFiles.flip(dir, StoreFixture.logConfig(dir).segmentSize(), position, 0xFF);
    }
}
