package io.strand.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Where in the log the first event at or after a time is, found without scanning the log: record
 * timestamps never decrease along it (a clock stepping back repeats the last one), and the entries
 * files ({@code index/entries/<segment>}) hold every event's position and timestamp in log order in
 * fixed-size entries, so two binary searches (over the files by their last entry, then within one
 * file) read about 2 log2(files) + log2(entries) entries of 40 bytes.
 *
 * <p>Only what is on disk is searched: the indexer keeps its latest entries in a buffer and may be
 * behind the log, so an answer that is not {@link Found#exact() exact} gives the last entry on disk
 * (all before the time) and the caller scans the log's short tail from there. A torn or corrupt
 * entry ends a file for the search. Reads files the indexer may be appending to and retention may
 * delete: a file gone is skipped over. Stateless; blocking file reads (not for an event loop).
 */
final class TimeSeek {
    private TimeSeek() {
    }

    /**
     * @param position the first entry's position at or after the time ({@code exact}), else the last
     *                 entry's on disk, or -1 when there is none
     */
    record Found(long position, boolean exact) {
    }

    /** Searches the files of {@code bases} (ascending) under {@code dir}. */
    static Found seek(Path dir, List<Long> bases, long timestamp) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate(EntryDescriptor.LENGTH);
        // the first file whose last entry is at or after the time
        int lo = 0;
        int hi = bases.size();
        long lastPosition = -1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long[] last = entry(dir, bases.get(mid), -1, b, crc);
            if (last == null || last[1] < timestamp) {
                if (last != null) {
                    lastPosition = Math.max(lastPosition, last[0]);
                }
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo == bases.size()) {
            for (int i = bases.size() - 1; i >= 0 && lastPosition < 0; i--) {
                long[] last = entry(dir, bases.get(i), -1, b, crc);
                lastPosition = last == null ? -1 : last[0];
            }
            return new Found(lastPosition, false);
        }
        long base = bases.get(lo);
        try (FileChannel ch = FileChannel.open(file(dir, base), StandardOpenOption.READ)) {
            long count = count(ch);
            long first = 0;
            long end = count; // entries [first, end): find the first at or after the time
            while (first < end) {
                long mid = (first + end) >>> 1;
                long[] e = read(ch, mid, b, crc);
                if (e == null) {
                    end = mid; // a torn entry ends the file
                } else if (e[1] < timestamp) {
                    first = mid + 1;
                } else {
                    end = mid;
                }
            }
            long[] e = first < count ? read(ch, first, b, crc) : null;
            if (e != null && e[1] >= timestamp) {
                return new Found(e[0], true);
            }
        } catch (NoSuchFileException gone) {
            // retention deleted it meanwhile: what remains starts later, and the caller scans from the first position
        }
        return new Found(lastPosition, false);
    }

    private static Path file(Path dir, long base) {
        return dir.resolve(io.strand.log.Segment.fileName(base));
    }

    private static long count(FileChannel ch) throws IOException {
        long data = ch.size() - IndexHeaderDescriptor.LENGTH;
        return data <= 0 ? 0 : data / EntryDescriptor.LENGTH;
    }

    /** {position, timestamp} of entry {@code i} of the file ({@code -1}: its last), or null when none or not valid. */
    private static long[] entry(Path dir, long base, long i, ByteBuffer b, CRC32C crc) throws IOException {
        try (FileChannel ch = FileChannel.open(file(dir, base), StandardOpenOption.READ)) {
            long count = count(ch);
            long at = i < 0 ? count - 1 : i;
            while (at >= 0) {
                long[] e = read(ch, at, b, crc);
                if (e != null || i >= 0) {
                    return e;
                }
                at--; // the last entry may be torn: the one before it
            }
            return null;
        } catch (NoSuchFileException gone) {
            return null;
        }
    }

    private static long[] read(FileChannel ch, long i, ByteBuffer b, CRC32C crc) throws IOException {
        b.clear();
        long at = IndexHeaderDescriptor.LENGTH + i * EntryDescriptor.LENGTH;
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                return null;
            }
        }
        if (!EntryDescriptor.check(b, 0, EntryDescriptor.LENGTH, crc)) {
            return null;
        }
        return new long[] {EntryDescriptor.position(b, 0), EntryDescriptor.timestamp(b, 0)};
    }
}
