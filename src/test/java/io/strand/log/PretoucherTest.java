package io.strand.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Where the pre-toucher resumes (ahead of the writer's next pages, never on them), and how long it naps when caught up. */
class PretoucherTest {
    private static final long MIB = 1 << 20;

    @Test
    void keepsItsPlaceWhileFarEnoughAhead() {
        assertEquals(40 * MIB, Pretoucher.resumeAt(40 * MIB, 10 * MIB, 8 * MIB));
        assertEquals(18 * MIB, Pretoucher.resumeAt(18 * MIB, 10 * MIB, 8 * MIB));
    }

    @Test
    void skipsPastTheLeadWhenTheWriterCatchesUp() {
        // Just ahead of the committed position: the commit thread's next writes land there.
        assertEquals(18 * MIB, Pretoucher.resumeAt(12 * MIB, 10 * MIB, 8 * MIB));
        // Behind it: touching committed pages would be wasted work.
        assertEquals(18 * MIB, Pretoucher.resumeAt(3 * MIB, 10 * MIB, 8 * MIB));
    }

    @Test
    void resumesOnAPageBoundary() {
        long committed = 10 * MIB + 100;
        assertEquals(18 * MIB, Pretoucher.resumeAt(0, committed, 8 * MIB));
        assertEquals(committed & -Segment.PAGE_SIZE, Pretoucher.resumeAt(0, committed, 0));
    }

    @Test
    void napsLongerWhileTheLogStandsStillAndShortAgainOnceItMoves() {
        long nap = Pretoucher.MIN_NAP_NANOS;
        for (int i = 0; i < 20; i++) {
            long next = Pretoucher.nextNap(nap, false);
            assertEquals(Math.min(Pretoucher.MAX_NAP_NANOS, nap * 2), next);
            nap = next;
        }
        assertEquals(Pretoucher.MAX_NAP_NANOS, nap, "an idle log: bounded naps");
        assertEquals(Pretoucher.MIN_NAP_NANOS, Pretoucher.nextNap(nap, true), "appends again: back to the first nap");
    }
}
