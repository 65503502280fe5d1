package io.strand.log;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A batch's placement is told its position before the batch can commit, and a placement that
 * throws refuses the batch: nothing of it is written, and the next batch takes its place.
 */
class PlacementTest {

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void placementHearsThePositionBeforeTheBatchCanCommit(boolean pool, @TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            List<String> early = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                long[] placed = {-1};
                LogAppend a = log.append(new EventRecord[] {TestRecords.record(i)}, 1, i, Durability.COMMITTED,
                        System.currentTimeMillis(), 0, p -> {
                            placed[0] = p;
                            if (log.committedPosition() > p) {
                                early.add("batch " + p + " was committed (to " + log.committedPosition() + ") when placed");
                            }
                        });
                AppendResult r = a.get(10, TimeUnit.SECONDS);
                assertEquals(r.position(), placed[0], "told where the batch went");
            }
            assertEquals(List.of(), early);
        }
    }

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void aPlacementThatThrowsRefusesTheBatch(boolean pool, @TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            AppendResult first = log.append(new EventRecord[] {TestRecords.record(0)}, 1, 0).get(10, TimeUnit.SECONDS);
            long written = log.writtenPosition();
            LogAppend refused = log.append(new EventRecord[] {TestRecords.record(1)}, 1, 1, Durability.COMMITTED,
                    System.currentTimeMillis(), 0, p -> {
                        throw new IllegalStateException("the index could not take it");
                    });
            assertNull(refused.reserved(), "nothing was placed");
            ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof LogException, "refused as a failed append: " + e.getCause());
            assertEquals(written, log.writtenPosition(), "the written position did not move");
            AppendResult next = log.append(new EventRecord[] {TestRecords.record(2)}, 1, 1).get(10, TimeUnit.SECONDS);
            assertEquals(first.endPosition(), next.position(), "the next batch takes the refused one's place");
            try (LogCursor c = log.cursor(first.position())) {
                assertTrue(c.next());
                TestRecords.assertRecord(c, 0, 0);
                assertTrue(c.next());
                TestRecords.assertRecord(c, 2, 1);
            }
            assertNull(log.failure(), "the log itself did not fail");
        }
    }
}
