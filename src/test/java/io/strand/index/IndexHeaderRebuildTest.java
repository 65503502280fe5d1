package io.strand.index;

import io.strand.log.CommitLog;
import io.strand.log.EventRecord;
import io.strand.log.LogConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Index files whose header does not match (a flipped bit, another format version, or no header at
 * all: the layout before headers) are not trusted: the index is rebuilt from the log, and the result
 * is the index the files held. Real files in a temporary directory.
 */
class IndexHeaderRebuildTest {
    private static final int EVENTS = 900;
    private static final int STREAMS = 7;

    /** What a user of the index sees: per stream (in id order), its name and each version's position. */
    record Snapshot(Map<String, List<Long>> positions, long loaded, long rebuilt) {
    }

    private static LogConfig logConfig(Path dir) {
        return LogConfig.defaults(dir).withSegmentSize(64 * 1024).withPool(false, 4, 16 * 1024);
    }

    /** Appends EVENTS events over STREAMS streams, indexes them, closes cleanly; returns the index as built. */
    private static Snapshot populate(Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(logConfig(dir))) {
            long[] versions = new long[STREAMS];
            for (int i = 0; i < EVENTS; i++) {
                int s = (i * 5 + i / 3) % STREAMS;
                byte[] data = new byte[200 + (i * 37) % 700];
                EventRecord r = new EventRecord(("stream-" + s).getBytes(StandardCharsets.UTF_8),
                        "Type".getBytes(StandardCharsets.UTF_8), i, ~i, new byte[0], data, true);
                log.append(new EventRecord[] {r}, 1, versions[s]++).toCompletableFuture().get();
            }
            try (StreamIndex index = StreamIndex.open(log, IndexConfig.defaults(dir))) {
                return snapshot(index);
            } finally {
                log.stopAppends();
            }
        }
    }

    /** Reopens as {@link #reopen} and returns the index's log lines (io.strand.index) of that open. */
    private static List<String> reopenLogging(Path dir) throws Exception {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("io.strand.index");
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            private final java.util.logging.Formatter format = new java.util.logging.SimpleFormatter();

            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(format.formatMessage(r));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Level level = jul.getLevel();
        jul.setLevel(java.util.logging.Level.INFO);
        jul.addHandler(handler);
        try {
            reopen(dir);
        } finally {
            jul.removeHandler(handler);
            jul.setLevel(level);
        }
        return lines;
    }

    private static Snapshot reopen(Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(logConfig(dir))) {
            try (StreamIndex index = StreamIndex.open(log, IndexConfig.defaults(dir))) {
                return snapshot(index);
            } finally {
                log.stopAppends();
            }
        }
    }

    private static Snapshot snapshot(StreamIndex index) {
        Map<String, List<Long>> positions = new LinkedHashMap<>();
        StreamCatalog catalog = index.catalog();
        for (int id = 0; id < catalog.size(); id++) {
            StreamEntry s = catalog.byId(id);
            List<Long> p = new ArrayList<>();
            for (long v = s.base(); v <= index.lastVersion(s); v++) {
                p.add(s.position(v));
            }
            positions.put(s.name(), p);
        }
        return new Snapshot(positions, index.loadedEntries(), index.rebuiltEntries());
    }

    private static Path streams(Path dir) {
        return dir.resolve("index").resolve("streams");
    }

    private static List<Path> entryFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("index").resolve("entries"))) {
            return files.sorted().toList();
        }
    }

    /** Rewrites the header of {@code file} with another version, its CRC valid: a file of a future format. */
    private static void writeVersion(Path file, int version) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        IndexHeaderDescriptor.encode(b, 0, new CRC32C(), IndexHeaderDescriptor.magic(b, 0), version,
                IndexHeaderDescriptor.base(b, 0));
        Files.write(file, bytes);
    }

    private static void flip(Path file, int offset) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[offset] ^= 0x04;
        Files.write(file, bytes);
    }

    @Test
    void shouldLoadEveryEntryFromFilesWithValidHeaders(@TempDir Path dir) throws Exception {
        Snapshot built = populate(dir);
        assertEquals(STREAMS, built.positions().size());
        assertTrue(entryFiles(dir).size() >= 5, "several segments, so several entries files");
        for (Path f : entryFiles(dir)) {
            ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(f));
            assertEquals(IndexHeaderDescriptor.VALID, IndexHeaderDescriptor.check(h, 0, h.capacity(), new CRC32C(),
                    IndexHeaderDescriptor.ENTRIES_MAGIC, IndexHeaderDescriptor.ENTRIES_VERSION,
                    Long.parseLong(f.getFileName().toString())), f.toString());
        }
        Snapshot again = reopen(dir);
        assertEquals(built.positions(), again.positions());
        assertEquals(EVENTS, again.loaded());
        assertEquals(0, again.rebuilt());
    }

    @Test
    void shouldRebuildTheWholeIndexWhenTheCatalogHeaderIsCorrupt(@TempDir Path dir) throws Exception {
        Snapshot built = populate(dir);
        flip(streams(dir), IndexHeaderDescriptor.BASE_OFFSET);
        assertRebuiltWhole(dir, built);
    }

    @Test
    void shouldRebuildTheWholeIndexWhenTheCatalogHasAnotherVersion(@TempDir Path dir) throws Exception {
        Snapshot built = populate(dir);
        writeVersion(streams(dir), IndexHeaderDescriptor.STREAMS_VERSION + 1);
        assertRebuiltWhole(dir, built);
    }

    @Test
    void shouldRebuildFromAnEntriesFileWhoseHeaderIsCorrupt(@TempDir Path dir) throws Exception {
        Snapshot built = populate(dir);
        List<Path> files = entryFiles(dir);
        Path third = files.get(2);
        flip(third, IndexHeaderDescriptor.MAGIC_OFFSET);
        assertRebuiltFrom(dir, built, files, 2);
    }

    @Test
    void shouldRebuildFromAnEntriesFileOfAnotherVersion(@TempDir Path dir) throws Exception {
        Snapshot built = populate(dir);
        List<Path> files = entryFiles(dir);
        writeVersion(files.get(1), IndexHeaderDescriptor.ENTRIES_VERSION + 1);
        assertRebuiltFrom(dir, built, files, 1);
    }

    @Test
    void shouldSayInOneLogLineWhichFileWasRebuiltAndWhy(@TempDir Path dir) throws Exception {
        populate(dir);
        writeVersion(streams(dir), IndexHeaderDescriptor.STREAMS_VERSION + 1);
        List<String> lines = reopenLogging(dir);
        List<String> why = lines.stream().filter(l -> l.contains("header")).toList();
        assertEquals(1, why.size(), () -> "one line about the header: " + lines);
        assertTrue(why.get(0).contains("index/streams") && why.get(0).contains("unknown format version"), why.get(0));

        List<Path> files = entryFiles(dir);
        flip(files.get(1), IndexHeaderDescriptor.CRC_OFFSET);
        List<String> entryLines = reopenLogging(dir);
        List<String> entryWhy = entryLines.stream().filter(l -> l.contains("header")).toList();
        assertEquals(1, entryWhy.size(), () -> "one line about the header: " + entryLines);
        assertTrue(entryWhy.get(0).contains("index/entries/" + files.get(1).getFileName())
                && entryWhy.get(0).contains("crc32c"), entryWhy.get(0));
    }

    @Test
    void shouldRebuildAnIndexWrittenBeforeFilesHadHeaders(@TempDir Path dir) throws Exception {
        Snapshot built = populate(dir);
        // The layout of the version before headers: the same names and entries, with no header.
        List<Path> files = new ArrayList<>(entryFiles(dir));
        files.add(streams(dir));
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            Files.write(f, java.util.Arrays.copyOfRange(bytes, IndexHeaderDescriptor.LENGTH, bytes.length));
        }
        assertRebuiltWhole(dir, built);
    }

    private static void assertRebuiltWhole(Path dir, Snapshot built) throws Exception {
        Snapshot rebuilt = reopen(dir);
        assertEquals(built.positions(), rebuilt.positions(), "the rebuilt index is the one the files held");
        assertEquals(0, rebuilt.loaded(), "nothing was read from files with a bad header");
        assertEquals(EVENTS, rebuilt.rebuilt());
        Snapshot after = reopen(dir);
        assertEquals(built.positions(), after.positions());
        assertEquals(EVENTS, after.loaded(), "the rebuilt files are read at the next open");
    }

    /** Entries from file {@code bad} on were rebuilt from the log; those before it were loaded. */
    private static void assertRebuiltFrom(Path dir, Snapshot built, List<Path> files, int bad) throws Exception {
        long before = 0;
        for (int i = 0; i < bad; i++) {
            before += (Files.size(files.get(i)) - IndexHeaderDescriptor.LENGTH) / EntryDescriptor.LENGTH;
        }
        assertTrue(before > 0);
        Snapshot rebuilt = reopen(dir);
        assertEquals(built.positions(), rebuilt.positions(), "the rebuilt index is the one the files held");
        assertEquals(before, rebuilt.loaded(), "the files before the bad one were loaded");
        assertEquals(EVENTS - before, rebuilt.rebuilt());
        Snapshot after = reopen(dir);
        assertEquals(built.positions(), after.positions());
        assertEquals(EVENTS, after.loaded(), "the rebuilt files are read at the next open");
    }
}
