package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentLifecycleTest {

    private static boolean mapped(Path file) throws Exception {
        String abs = file.toAbsolutePath().toString();
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.endsWith(abs));
    }

    @Test
    void shouldReserveBlocksAndNamePositionsWithTwentyDigits(@TempDir Path dir) throws Exception {
        Segment s = Segment.create(dir, 65536, 65536);
        try {
            Path file = dir.resolve("00000000000000065536");
            assertEquals(file, s.file());
            assertEquals(65536, Files.size(file));
            // Not sparse: every block is allocated before the file is mapped.
            Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
            String[] f = new String(stat.getInputStream().readAllBytes()).trim().split(" ");
            long allocated = Long.parseLong(f[0]) * Long.parseLong(f[1]);
            assertTrue(allocated >= 65536, "allocated bytes=" + allocated);
            assertThrows(java.io.IOException.class, () -> Segment.create(dir, 65536, 65536),
                    "an existing segment is never replaced");
        } finally {
            s.release();
        }
    }

    @Test
    void shouldKeepASegmentMappedWhileAReaderHoldsItAndUnmapAfterTheLast(@TempDir Path dir) throws Exception {
        CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC));
        AppendResult r = log.append(new EventRecord[] {TestRecords.record(1)}, 1, 0).toCompletableFuture().get();
        LogSlice slice = log.read(r.position(), 1 << 20);
        Path file = dir.resolve("commitlog").resolve(Segment.fileName(0));
        log.close();
        assertTrue(mapped(file), "the reader's reference keeps the mapping alive after the log closed");
        ByteBuffer bytes = slice.buffer();
        assertEquals(TestRecords.record(1).recordLength(), RecordDescriptor.length(bytes, 0));
        slice.close();
        assertFalse(mapped(file), "the last release unmaps at once, not at some later GC");
    }

    @Test
    void shouldRefuseNewReferencesOnceReleased(@TempDir Path dir) throws Exception {
        Segment s = Segment.create(dir, 0, 8192);
        assertTrue(s.retain());
        s.release();
        s.release();
        assertFalse(s.retain(), "a closed segment cannot be resurrected");
        assertThrows(IllegalStateException.class, s::release);
    }
}
