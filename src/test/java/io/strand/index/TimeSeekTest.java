package io.strand.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binary searches over real entries files: 3 segments of 1,000 events, event {@code i} at
 * position {@code i * 100} with timestamp {@code 1000 + i / 3} (runs of equal timestamps, as a
 * clock's millisecond or a clock stepping back gives), across file boundaries, past the last entry
 * on disk, and with a torn last entry.
 */
class TimeSeekTest {
    @TempDir
    Path dir;

    private static final long SEGMENT = 100_000; // 1,000 events of 100 bytes each

    private EntryFiles write(int events) throws Exception {
        EntryFiles files = new EntryFiles(dir, SEGMENT);
        for (int i = 0; i < events; i++) {
            files.append(i * 100L, i, 1000 + i / 3, i, 0);
        }
        files.sync();
        return files;
    }

    @Test
    void findsTheFirstEventAtOrAfterATime() throws Exception {
        try (EntryFiles files = write(3000)) {
            for (long t : new long[] {0, 1000, 1001, 1333, 1334, 1666, 1999}) {
                TimeSeek.Found f = files.seekTime(t);
                long expected = Math.max(0, (t - 1000) * 3) * 100;
                assertTrue(f.exact(), "t=" + t);
                assertEquals(expected, f.position(), "t=" + t + ": the first of the run with that timestamp");
            }
            TimeSeek.Found after = files.seekTime(5000);
            assertFalse(after.exact(), "every entry on disk is older");
            assertEquals(2999 * 100, after.position(), "the last entry on disk, to read on from");
        }
    }

    @Test
    void aTornLastEntryEndsTheFile() throws Exception {
        try (EntryFiles files = write(2500)) {
            files.sync();
        }
        Path last = dir.resolve(io.strand.log.Segment.fileName(200_000));
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 7); // half an entry at the end
        }
        try (EntryFiles files = new EntryFiles(dir, SEGMENT)) {
            TimeSeek.Found f = files.seekTime(10_000);
            assertFalse(f.exact());
            assertEquals(2498 * 100, f.position(), "the last whole entry");
            assertEquals(2400 * 100, files.seekTime(1800).position());
        }
    }

    @Test
    void anEmptyIndexKnowsNothing() throws Exception {
        try (EntryFiles files = new EntryFiles(dir, SEGMENT)) {
            TimeSeek.Found f = files.seekTime(1);
            assertFalse(f.exact());
            assertEquals(-1, f.position());
        }
    }
}
