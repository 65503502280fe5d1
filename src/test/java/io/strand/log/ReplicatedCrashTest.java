package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a child JVM that applies raft entries to the log ({@link ReplicatedCrashAppender}) with
 * SIGKILL, then reopens without any close: {@link CommitLog#lastRaftIndex()} must be the raft index
 * of the last record that survived, at least the last entry acknowledged, and the child of the
 * next round continues from it without a gap or a repeat.
 */
class ReplicatedCrashTest {

    @Test
    void shouldKnowWhichRaftEntriesTheLogHoldsAfterAKill(@TempDir Path dir) throws Exception {
        Random random = new Random(7);
        long acked = 0;
        for (String pool : new String[] {"true", "false", "true"}) {
            Process child = ChildJvm.start(List.of(), ReplicatedCrashAppender.class, dir.toString(), pool);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(child.getInputStream(), out));
            reader.start();
            try {
                waitForAcks(out, child);
                Thread.sleep(50 + random.nextInt(300));
            } finally {
                child.destroyForcibly();
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child should die");
            reader.join(10_000);
            acked = Math.max(acked, lastAck(out.toString(StandardCharsets.UTF_8)));
            verify(dir, Boolean.parseBoolean(pool), acked);
        }
    }

    private static void verify(Path dir, boolean pool, long acked) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            assertFalse(log.recoveredCleanly(), "a killed process leaves no clean-shutdown marker");
            long expected = 1;
            long last = 0;
            try (LogCursor c = log.cursor(log.firstPosition())) {
                while (c.next()) {
                    long raftIndex = RecordDescriptor.raftIndex(c.buffer(), c.offset());
                    if (raftIndex != last) {
                        assertEquals(expected, raftIndex, "entries in order, none missing, none twice");
                        expected++;
                    }
                    assertEquals(ReplicatedCrashAppender.T0 + raftIndex, RecordDescriptor.timestamp(c.buffer(), c.offset()));
                    last = raftIndex;
                }
            }
            assertTrue(last >= acked, "every acknowledged entry survived: last=" + last + ", acked=" + acked);
            assertEquals(last, log.lastRaftIndex(), "the raft index of the last record");
            assertEquals(ReplicatedCrashAppender.T0 + last, log.lastTimestamp());
        }
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

    private static long lastAck(String output) {
        long last = 0;
        for (String line : output.substring(0, Math.max(0, output.lastIndexOf('\n'))).split("\n")) {
            if (line.startsWith("ACK ")) {
                last = Math.max(last, Long.parseLong(line.substring(4).trim()));
            }
        }
        return last;
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
        } catch (IOException ignored) {
            // the child died
        }
    }
}
