package io.strand.index;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dedup index's memory bound: past max-entries the oldest ids go early, the newest stay found. */
class DedupIndexTest {
    private static final long HOUR = 3_600_000;

    /** Event {@code i} is at position {@code 8 * i}: a candidate is confirmed when it is exactly there. */
    private static long find(DedupIndex d, long i) {
        return d.find(DedupIndex.key(1, 0x5354, i), p -> p == 8 * i);
    }

    @Test
    void shouldStayWithinMaxEntriesAndStillFindTheNewestIds() {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(DedupIndex.class.getName());
        java.util.List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try {
            boundedInserts();
        } finally {
            logger.removeHandler(capture);
        }
        assertEquals(1, warnings.size(), "one warning however often entries are dropped early");
    }

    private void boundedInserts() {
        long max = 1000;
        DedupIndex d = new DedupIndex(HOUR, max);
        long now = System.currentTimeMillis();
        int n = 100_000;
        for (long i = 0; i < n; i++) {
            d.insert(DedupIndex.key(1, 0x5354, i), 8 * i, now); // all inside the window
            assertTrue(d.size() <= max, "size " + d.size() + " after " + (i + 1) + " inserts");
            assertTrue(d.footprintBytes() <= 16 * max, "tables take " + d.footprintBytes() + " bytes");
        }
        for (long i = n - max / 2; i < n; i++) {
            assertEquals(8 * i, find(d, i), "the newest max/2 ids are always found: " + i);
        }
        for (long i = 0; i < 1000; i++) {
            assertEquals(-1, find(d, i), "dropped early: " + i);
        }
        assertEquals(n - d.size(), d.droppedEarly(), "every entry not held was dropped early");
        assertEquals(max, d.maxEntries());
    }

    @Test
    void shouldDropNothingEarlyBelowTheBoundAndExpireByTheWindowAsBefore() {
        DedupIndex d = new DedupIndex(100, 1 << 20);
        long t = 1_000_000;
        for (long i = 0; i < 50_000; i++) {
            d.insert(DedupIndex.key(1, 0x5354, i), 8 * i, t);
        }
        assertEquals(50_000, d.size());
        assertEquals(8 * 123, find(d, 123));
        // Past twice the window, an insert retires the old generations: the normal window, not early.
        d.insert(DedupIndex.key(1, 0x5354, 50_000), 8 * 50_000, t + 250);
        d.insert(DedupIndex.key(1, 0x5354, 50_001), 8 * 50_001, t + 500);
        assertEquals(-1, find(d, 123));
        assertEquals(0, d.droppedEarly());
    }

    @Test
    void shouldHoldEvenTinyBounds() {
        for (long max : new long[]{1, 2, 3, 7, 64}) {
            DedupIndex d = new DedupIndex(HOUR, max);
            for (long i = 0; i < 500; i++) {
                d.insert(DedupIndex.key(1, 0x5354, i), 8 * i, 42);
                assertTrue(d.size() <= max, "max " + max + ": " + d.size());
                assertEquals(8 * i, find(d, i), "max " + max + ": the id just inserted is found");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new DedupIndex(HOUR, 0));
    }
}
