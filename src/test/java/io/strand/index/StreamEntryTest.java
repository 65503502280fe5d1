package io.strand.index;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stream's held versions: trimmed by retention, one consistent (base, slots) snapshot for readers. */
class StreamEntryTest {

    private static StreamEntry entry() {
        return new StreamEntry(0, "s".getBytes(StandardCharsets.UTF_8), 1);
    }

    private static long positionOf(long version) {
        return version * 64 + 8;
    }

    @Test
    void shouldTrimVersionsBelowTheFirstPositionAndKeepTheRest() {
        StreamEntry s = entry();
        for (int v = 0; v < 100; v++) {
            s.add(positionOf(v), v);
        }
        assertEquals(100, s.heldVersions());
        assertEquals(0, s.trim(0), "nothing below position 0");
        assertEquals(40, s.trim(positionOf(40)));
        assertEquals(40, s.base());
        assertEquals(60, s.heldVersions());
        assertEquals(60, s.heldCapacity(), "copied into a right-sized array");
        assertEquals(-1, s.position(39), "below the base: gone");
        for (int v = 40; v < 100; v++) {
            assertEquals(positionOf(v), s.position(v));
            assertEquals(StreamEntry.fingerprint((long) v), s.fingerprint(v));
        }
        assertEquals(0, s.trim(positionOf(40) - 8), "a cut inside a record keeps it");
        s.add(positionOf(100), 100);
        assertEquals(101, s.assigned());
        assertEquals(positionOf(100), s.position(100));

        assertEquals(61, s.trim(positionOf(1000)), "everything goes");
        assertEquals(0, s.heldVersions());
        assertEquals(101, s.base(), "an emptied stream keeps its next version");
        assertEquals(101, s.assigned());
        assertEquals(-1, s.position(100));
        s.add(positionOf(1001), 0);
        assertEquals(positionOf(1001), s.position(101));
        assertEquals(102, s.assigned());
    }

    @Test
    void shouldShowStagedVersionsOnlyOncePublished() {
        StreamEntry s = entry();
        s.add(positionOf(0), 0);
        for (int v = 1; v <= 20; v++) { // grows the array while staged: readers keep the published pair
            s.stage(positionOf(v), v);
            assertEquals(1, s.assigned(), "a staged version is not visible");
            assertEquals(v + 1, s.written());
            assertEquals(positionOf(0), s.position(0));
        }
        s.publish();
        assertEquals(21, s.assigned(), "the whole batch at once");
        for (int v = 0; v <= 20; v++) {
            assertEquals(positionOf(v), s.position(v));
        }
    }

    @Test
    void madeRoomStagesABatchWithoutGrowingAndUnstagedSlotsAreForgotten() {
        StreamEntry s = entry();
        s.add(positionOf(0), 0);
        s.makeRoom(1000);
        int capacity = s.capacity();
        assertTrue(capacity >= 1001, "room for the batch after the held version: " + capacity);
        for (int v = 1; v <= 1000; v++) {
            s.stage(positionOf(v), v);
        }
        assertEquals(capacity, s.capacity(), "staging the batch did not grow the array");
        s.unstage();
        assertEquals(1, s.written(), "a refused batch leaves no staged slot behind");
        assertEquals(1, s.assigned());
        s.stage(positionOf(7), 7);
        s.publish();
        assertEquals(positionOf(7), s.position(1), "the next batch takes the refused one's versions");
        s.makeRoom(1);
        assertEquals(capacity, s.capacity(), "room that is there already is not made again");
    }

    @Test
    void shouldTrimAnEmptyOrLaterStartingStream() {
        StreamEntry s = entry();
        assertEquals(0, s.trim(1 << 20));
        assertEquals(0, s.base());
        s.startAt(7);
        assertEquals(7, s.base());
        s.add(positionOf(7), 0);
        s.add(positionOf(8), 0);
        assertEquals(1, s.trim(positionOf(8)));
        assertEquals(8, s.base());
        assertEquals(positionOf(8), s.position(8));
    }

    /**
     * A reader reading positions of random assigned versions while one thread appends and another
     * trims: every answer is -1 (trimmed) or the position appended, never a slot read against the
     * wrong base.
     */
    @Test
    void shouldNeverShowATornBaseAndSlotsToReaders() throws Exception {
        StreamEntry s = entry();
        int total = 2_000_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread appender = new Thread(() -> {
            for (int v = 0; v < total && failure.get() == null; v++) {
                synchronized (s) {
                    s.add(positionOf(v), v);
                }
            }
        });
        long[] trims = new long[1];
        Thread trimmer = new Thread(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (appender.isAlive() && failure.get() == null) {
                int a = s.assigned();
                long cut = positionOf(Math.max(0, a - r.nextInt(1, 200)));
                synchronized (s) {
                    if (s.trim(cut) > 0) {
                        trims[0]++;
                    }
                }
                Thread.onSpinWait();
            }
        });
        Thread reader = new Thread(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            long reads = 0;
            long hits = 0;
            while ((appender.isAlive() || reads < 1000) && failure.get() == null) {
                int a = s.assigned();
                if (a == 0) {
                    continue;
                }
                int v = r.nextInt(Math.max(0, a - 300), a);
                long p = s.position(v);
                reads++;
                if (p != -1) {
                    hits++;
                    if (p != positionOf(v)) {
                        failure.compareAndSet(null, new AssertionError("version " + v + " read at " + p
                                + ", appended at " + positionOf(v)));
                    }
                }
            }
            if (hits == 0) {
                failure.compareAndSet(null, new AssertionError("the reader never saw a held version in " + reads + " reads"));
            }
        });
        appender.start();
        trimmer.start();
        reader.start();
        appender.join();
        trimmer.join();
        reader.join();
        assertNull(failure.get(), () -> String.valueOf(failure.get()));
        assertEquals(total, s.assigned());
        assertTrue(trims[0] > 0, "trimmed while running");
    }
}
