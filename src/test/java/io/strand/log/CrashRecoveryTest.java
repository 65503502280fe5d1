package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a child JVM that appends in a loop with SIGKILL at random moments, several times over the
 * same directory, and checks after each kill that recovery kept every acknowledged record
 * byte-identical, in order, with nothing invalid readable after the tail.
 */
class CrashRecoveryTest {

    @Test
    void shouldKeepEveryAcknowledgedRecordAcrossRepeatedKills(@TempDir Path dir) throws Exception {
        Random random = new Random(42);
        TreeMap<Long, long[]> acked = new TreeMap<>(); // firstVersion -> {count, position, endPosition}
        String[][] rounds = {
                {"true", "COMMITTED", "ASYNC"}, {"false", "COMMITTED", "ASYNC"}, {"true", "FLUSHED", "ASYNC"},
                {"false", "FLUSHED", "ASYNC"}, {"true", "FLUSHED", "SYNC"}, {"true", "COMMITTED", "SYNC"},
                {"true", "COMMITTED", "ASYNC"}, {"false", "COMMITTED", "ASYNC"}};
        int totalAcked = 0;
        for (String[] round : rounds) {
            Process child = ChildJvm.start(List.of(), CrashAppender.class, dir.toString(), round[0], round[1], round[2]);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(child.getInputStream(), out));
            reader.start();
            try {
                waitForAcks(out, child);
                Thread.sleep(50 + random.nextInt(400));
            } finally {
                child.destroyForcibly();
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child should die");
            reader.join(10_000);
            int before = acked.size();
            parseAcks(out.toString(StandardCharsets.UTF_8), acked);
            assertTrue(acked.size() > before, "the child acknowledged appends in round " + round[0] + "/" + round[1]);
            totalAcked = acked.size();
            verify(dir, acked, Boolean.parseBoolean(round[0]));
        }
        assertTrue(totalAcked > 100, "enough appends were acknowledged to mean something: " + totalAcked);
    }

    private static void waitForAcks(ByteArrayOutputStream out, Process child) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!out.toString(StandardCharsets.UTF_8).contains("ACK ")) {
            if (!child.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("child produced no acknowledgement: alive=" + child.isAlive() + ", out=" + out);
            }
            Thread.sleep(10);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (java.io.IOException ignored) {
            // the child died
        }
    }

    private static void parseAcks(String output, TreeMap<Long, long[]> acked) {
        int end = output.lastIndexOf('\n');
        if (end < 0) {
            return;
        }
        for (String line : output.substring(0, end).split("\n")) {
            if (line.startsWith("ACK ")) {
                String[] f = line.split(" ");
                acked.put(Long.parseLong(f[1]), new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])});
            }
        }
    }

    private static void verify(Path dir, TreeMap<Long, long[]> acked, boolean pool) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            assertFalse(log.recoveredCleanly(), "a killed process leaves no clean-shutdown marker");
            long expectedVersion = 0;
            TreeMap<Long, Long> positions = new TreeMap<>();
            try (LogCursor c = log.cursor(log.firstPosition())) {
                while (c.next()) {
                    long version = RecordDescriptor.streamVersion(c.buffer(), c.offset());
                    assertEquals(expectedVersion, version, "versions are contiguous, in order, without duplicates");
                    TestRecords.assertRecord(c, version, version);
                    positions.put(version, c.position());
                    expectedVersion++;
                }
                assertEquals(log.committedPosition(), c.nextPosition(), "the cursor ends exactly at the tail");
            }
            for (var e : acked.entrySet()) {
                long first = e.getKey();
                long[] a = e.getValue();
                for (long v = first; v < first + a[0]; v++) {
                    assertTrue(positions.containsKey(v), "acknowledged version " + v + " survived");
                }
                assertEquals(a[1], positions.get(first), "acknowledged batch at its acknowledged position");
            }
            assertTailIsZero(dir, log);
        }
    }

    /** Nothing but zeros after the tail in its segment: no stale bytes can be read back later. */
    private static void assertTailIsZero(Path dir, CommitLog log) throws Exception {
        long tail = log.committedPosition();
        int segmentSize = log.config().segmentSize();
        long base = tail - tail % segmentSize;
        Path file = dir.resolve("commitlog").resolve(Segment.fileName(base));
        if (!java.nio.file.Files.exists(file)) {
            return;
        }
        ByteBuffer bytes = ByteBuffer.wrap(java.nio.file.Files.readAllBytes(file));
        for (int i = (int) (tail - base); i < segmentSize; i++) {
            if (bytes.get(i) != 0) {
                throw new AssertionError("non-zero byte after the tail: position=" + (base + i) + ", tail=" + tail);
            }
        }
    }
}
