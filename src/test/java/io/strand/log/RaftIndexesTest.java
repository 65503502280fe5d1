package io.strand.log;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RaftIndexesTest {

    @Test
    void shouldReportARaftIndexOnlyOnceItsBatchIsCommitted() {
        CommittedPosition committed = new CommittedPosition(0, null);
        RaftIndexes raft = new RaftIndexes(committed, 0);
        raft.written(100, 7);
        raft.written(200, 9);
        assertEquals(0, raft.committed(), "nothing committed yet");
        committed.advance(100);
        assertEquals(7, raft.committed());
        committed.advance(199);
        assertEquals(7, raft.committed(), "the batch ending at 200 is not wholly committed");
        committed.advance(200);
        assertEquals(9, raft.committed());
    }

    @Test
    void shouldRefuseAnIndexBelowTheLastWrittenButAcceptZeroAndTheSameIndex() {
        CommittedPosition committed = new CommittedPosition(0, null);
        RaftIndexes raft = new RaftIndexes(committed, 5);
        assertEquals(5, raft.committed(), "the recovered index counts as committed");
        assertFalse(raft.accepts(4));
        assertTrue(raft.accepts(5), "several batches may come from one entry");
        assertTrue(raft.accepts(0), "not replicated");
        raft.written(50, 0);
        raft.written(60, 12);
        assertFalse(raft.accepts(11));
        committed.advance(60);
        assertEquals(12, raft.committed());
        raft.written(70, 0);
        committed.advance(70);
        assertEquals(12, raft.committed(), "a later record without an index does not lower the largest");
    }

    @Test
    void shouldLagButNeverRunAheadOfTheCommittedPositionWhenTheRingIsFull() {
        CommittedPosition committed = new CommittedPosition(0, null);
        RaftIndexes raft = new RaftIndexes(committed, 0);
        int appends = RaftIndexes.CAPACITY * 3;
        for (int i = 1; i <= appends; i++) {
            raft.written(i * 10L, i);
        }
        for (int i = 1; i <= appends; i++) {
            committed.advance(i * 10L);
            long reported = raft.committed();
            assertTrue(reported <= i, "index " + reported + " reported with only " + i + " committed");
            assertTrue(reported > 0 || i < RaftIndexes.CAPACITY, "progress while committing: " + i);
        }
        assertEquals(appends, raft.committed(), "all committed: the last index is reported");
    }
}
