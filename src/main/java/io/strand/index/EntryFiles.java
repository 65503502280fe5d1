package io.strand.index;

import io.strand.log.Segment;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code index/entries/}: one {@link EntryFile} per log segment, named like the segment by the
 * 20-digit log position of its first byte, holding the entries of the records in that segment in
 * log order. Retention deletes a segment's entries with it ({@link #deleteBefore}), so the index on
 * disk is bounded as the log is.
 *
 * <p>The indexer writes one file at a time: when an entry belongs to the next segment, the file
 * being written is forced and closed and the next one created (and the directory forced), so every
 * file but the last is complete on disk before anything is written after it. The index checkpoint
 * forces the last one. Loading therefore visits the files from the log's first segment on, one per
 * segment without a gap, and cuts at the first entry it cannot trust: the rest of that file and
 * every later file are dropped, and the log is indexed again from there.
 *
 * <p>Not thread-safe except {@link #deleteBefore}, which retention calls on its own thread: it never
 * deletes the file being written (the indexer deletes it when it moves on, if it is below the cut).
 */
final class EntryFiles implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EntryFiles.class.getName());

    private final Path dir;
    private final long segmentSize;
    /** The file being written and its segment's base (-1: none yet); changed only under this monitor. */
    private EntryFile current;
    private long currentBase = -1;
    /** Files of segments below this position are deleted (retention's cut). */
    private long deletedBelow;

    EntryFiles(Path dir, long segmentSize) throws IOException {
        this.dir = dir;
        this.segmentSize = segmentSize;
        Files.createDirectories(dir);
    }

    /** The segment bases that have a file, in order. */
    private List<Long> bases() throws IOException {
        List<Long> bases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                long base = Segment.parseFileName(p.getFileName().toString());
                if (base >= 0 && Files.isRegularFile(p)) {
                    bases.add(base);
                }
            }
        }
        bases.sort(null);
        return bases;
    }

    private Path file(long base) {
        return dir.resolve(Segment.fileName(base));
    }

    /** The first event at or after {@code timestamp} that the files on disk know ({@link TimeSeek}). */
    TimeSeek.Found seekTime(long timestamp) throws IOException {
        return TimeSeek.seek(dir, bases(), timestamp);
    }

    /** Bytes in all the files (for progress reporting). */
    long bytes() throws IOException {
        long n = 0;
        for (long base : bases()) {
            n += Files.size(file(base));
        }
        return n;
    }

    /**
     * Visits the entries of the segments from {@code firstPosition} (the log's first segment) on, in
     * log order, while each is valid (CRC), lies in its file's segment and is accepted by
     * {@code visitor}; the files must be those of consecutive segments from the first one. At the
     * first entry that fails, its file is cut there and every later file deleted; files of segments
     * below {@code firstPosition} (deleted by retention) are deleted too. The last file visited stays
     * open to be written on. Returns the entries visited and kept.
     */
    long load(long firstPosition, EntryFile.Visitor visitor) throws IOException {
        deletedBelow = firstPosition;
        long loaded = 0;
        long expected = firstPosition;
        boolean cut = false;
        for (long base : bases()) {
            if (base < firstPosition || cut || base != expected) {
                if (base >= firstPosition && !cut) {
                    LOG.log(System.Logger.Level.INFO, "index: no entries file for segment {0}; entries from there on are rebuilt from the log",
                            Segment.fileName(expected));
                }
                cut |= base >= firstPosition;
                Files.deleteIfExists(file(base));
                continue;
            }
            long end = base + segmentSize;
            EntryFile f = new EntryFile(file(base), base);
            try {
                loaded += f.load(e -> e.position >= base && e.position < end && visitor.accept(e));
            } catch (IOException | RuntimeException e) {
                f.close();
                throw e;
            }
            if (f.headerCode() != IndexHeaderDescriptor.VALID) {
                LOG.log(System.Logger.Level.INFO, "index: index/entries/{0} has no valid header ({1}); entries from "
                        + "there on are rebuilt from the log", Segment.fileName(base),
                        IndexHeaderDescriptor.describe(f.headerCode()));
            }
            if (current != null) {
                current.close();
            }
            current = f;
            currentBase = base;
            cut = !f.complete();
            expected = end;
        }
        return loaded;
    }

    /**
     * Deletes every entries file (the catalog they refer to was not trusted: the whole index is
     * rebuilt from the log). Before {@link #load}.
     */
    void deleteAll() throws IOException {
        for (long base : bases()) {
            Files.deleteIfExists(file(base));
        }
        syncDirectory();
    }

    /** Appends the entry of the record at {@code position} to its segment's file. */
    void append(long position, long version, long timestamp, long key, int streamId) throws IOException {
        long base = position - position % segmentSize;
        if (base != currentBase) {
            moveTo(base);
        }
        current.append(position, version, timestamp, key, streamId);
    }

    /** Forces and closes the file being written and starts the one of the segment at {@code base}. */
    private synchronized void moveTo(long base) throws IOException {
        if (current != null) {
            current.sync();
            current.close();
            if (currentBase < deletedBelow) { // retention deleted its segment while it was written
                Files.deleteIfExists(file(currentBase));
            }
            current = null;
            currentBase = -1;
        }
        current = new EntryFile(file(base), base, true);
        currentBase = base;
        syncDirectory();
    }

    private void syncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open directories; Linux ext4/xfs/tmpfs allow it.
            if (System.getProperty("os.name", "").toLowerCase().contains("linux")) {
                throw e;
            }
        }
    }

    /** Writes what is buffered and forces the file being written (every earlier one was forced). */
    void sync() throws IOException {
        if (current != null) {
            current.sync();
        }
    }

    /**
     * Deletes the files of the segments below {@code firstPosition} (retention deleted them), except
     * the one being written, which goes when the indexer moves past it. Returns how many were deleted.
     */
    synchronized int deleteBefore(long firstPosition) throws IOException {
        deletedBelow = Math.max(deletedBelow, firstPosition);
        int n = 0;
        for (long base : bases()) {
            if (base >= firstPosition) {
                break;
            }
            if (base != currentBase && Files.deleteIfExists(file(base))) {
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized void close() throws IOException {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
