package io.strand.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Where the pre-toucher resumes: ahead of the writer's next pages, never on them. */
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
}
