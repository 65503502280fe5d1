package io.strand.store;

import io.strand.log.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a child JVM appending to many streams with SIGKILL, several times over one directory, and
 * checks after each kill that the index and catalog agree with the log: every acknowledged event is
 * readable by stream and by {@code $all} at its acknowledged place, each (stream, version) appears
 * once, and the consumer-group position returned before the kill survived.
 */
class StoreCrashTest {
    private record Ack(int round, long seq, int count, String stream, long firstVersion, long position) {
    }

    @Test
    void shouldKeepIndexCatalogAndLogInAgreementAcrossKills(@TempDir Path dir) throws Exception {
        Random random = new Random(7);
        List<Ack> acked = new ArrayList<>();
        long groupVersion = -1;
        long rebuilt = 0;
        for (int round = 0; round < 4; round++) {
            Process child = ChildJvm.start(List.of(), StoreCrashAppender.class, dir.toString(), Integer.toString(round));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(child.getInputStream(), out));
            reader.start();
            try {
                waitFor(out, child, "GROUP ");
                Thread.sleep(100 + random.nextInt(400));
            } finally {
                child.destroyForcibly();
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
            String text = out.toString(StandardCharsets.UTF_8);
            int before = acked.size();
            for (String line : text.substring(0, text.lastIndexOf('\n')).split("\n")) {
                String[] f = line.split(" ");
                if (f[0].equals("ACK")) {
                    acked.add(new Ack(Integer.parseInt(f[1]), Long.parseLong(f[2]), Integer.parseInt(f[3]), f[4],
                            Long.parseLong(f[5]), Long.parseLong(f[6])));
                } else if (f[0].equals("GROUP")) {
                    groupVersion = Long.parseLong(f[1]);
                }
            }
            assertTrue(acked.size() > before + 50, "round " + round + " acknowledged appends");
            rebuilt += verify(dir, acked, groupVersion);
        }
        assertTrue(rebuilt > 0, "recovery had index entries to rebuild from the log");
    }

    /** Returns how many index entries the reopen rebuilt from the log. */
    private static long verify(Path dir, List<Ack> acked, long groupVersion) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertFalse(f.log.recoveredCleanly());
            // Index and catalog agree with the log: walk $all, check each event against its stream.
            Map<String, Long> nextVersion = new HashMap<>();
            Set<UUID> ids = new HashSet<>();
            long from = 0;
            int events = 0;
            do {
                ReadPage page = f.store.readAll(from, 1000);
                for (RecordedEvent e : page.events()) {
                    long expected = nextVersion.getOrDefault(e.stream(), 0L);
                    assertEquals(expected, e.version(), "versions of " + e.stream() + " contiguous in log order");
                    nextVersion.put(e.stream(), expected + 1);
                    assertEquals(e.position(), f.store.readEvent(e.stream(), e.version()).position(),
                            "the index points at the log's record");
                    if (!e.stream().startsWith("$")) {
                        assertTrue(ids.add(e.id()), "no duplicate event " + e.id());
                    }
                    events++;
                }
                from = page.next();
            } while (from >= 0);
            for (var e : nextVersion.entrySet()) {
                assertEquals(e.getValue() - 1, f.store.index().lastVersion(f.store.index().catalog().get(e.getKey())),
                        "the catalog's last version of " + e.getKey());
            }
            for (Ack a : acked) {
                for (int j = 0; j < a.count(); j++) {
                    RecordedEvent e = f.store.readEvent(a.stream(), a.firstVersion() + j);
                    StoreFixture.assertEvent(StoreCrashAppender.event(a.round(), a.seq() + j), e);
                    if (j == 0) {
                        assertEquals(a.position(), e.position(), "acknowledged at its position");
                    }
                }
            }
            assertTrue(events >= acked.stream().mapToInt(Ack::count).sum());
            long committed = f.store.groupVersion(StoreCrashAppender.GROUP, StoreCrashAppender.GROUP_STREAM).orElse(-1);
            assertTrue(committed >= groupVersion, "group position " + groupVersion + " survived, found " + committed);
            return f.store.index().rebuiltEntries();
        }
    }

    private static void waitFor(ByteArrayOutputStream out, Process child, String marker) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!out.toString(StandardCharsets.UTF_8).contains(marker)) {
            if (!child.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("child did not print " + marker + ": alive=" + child.isAlive() + ", out=" + out);
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
}
