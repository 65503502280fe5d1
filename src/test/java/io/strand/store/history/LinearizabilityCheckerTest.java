package io.strand.store.history;

import io.strand.store.ExpectedVersion;
import io.strand.store.history.LinearizabilityChecker.Bounds;
import io.strand.store.history.LinearizabilityChecker.Result;
import io.strand.store.history.LinearizabilityChecker.Verdict;
import io.strand.store.history.StreamModel.Append;
import io.strand.store.history.StreamModel.AppendOk;
import io.strand.store.history.StreamModel.Conflict;
import io.strand.store.history.StreamModel.Input;
import io.strand.store.history.StreamModel.Output;
import io.strand.store.history.StreamModel.Read;
import io.strand.store.history.StreamModel.ReadOk;
import io.strand.store.history.StreamModel.Unknown;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checker and the stream model on hand-written histories (times are abstract ticks). */
class LinearizabilityCheckerTest {
    private static final StreamModel MODEL = new StreamModel();
    private static final long NEVER = Operation.UNKNOWN_RETURN;

    private final List<Operation<Input, Output>> history = new ArrayList<>();

    private void op(int client, Input input, Output output, long call, long ret) {
        history.add(new Operation<>(history.size(), client, input, output, call, ret));
    }

    private static Append append(String stream, long expected, long... ids) {
        return new Append(stream, expected, ids);
    }

    private static ReadOk read(long... ids) {
        return new ReadOk(LongStream.range(0, ids.length).toArray(), ids);
    }

    private static long[] range(long from, long to) {
        return LongStream.rangeClosed(from, to).toArray();
    }

    private Result check() {
        return LinearizabilityChecker.check(MODEL, history);
    }

    private void assertLinearizable() {
        Result r = check();
        assertTrue(r.linearizable(), r::explanation);
    }

    private Result assertNotLinearizable() {
        Result r = check();
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r::explanation);
        return r;
    }

    @Test
    void shouldAcceptASequentialHistoryOfEveryKindOfExpectedVersion() {
        op(0, new Read("s"), read(), 0, 1);
        op(0, append("s", ExpectedVersion.EXISTS, 1), new Conflict(-1), 2, 3);
        op(0, append("s", 0, 1), new Conflict(-1), 4, 5);
        op(0, append("s", ExpectedVersion.NO_STREAM, 1, 2), new AppendOk(0, 1), 6, 7);
        op(0, append("s", ExpectedVersion.NO_STREAM, 3), new Conflict(1), 8, 9);
        op(0, append("s", ExpectedVersion.EXISTS, 3), new AppendOk(2, 2), 10, 11);
        op(0, append("s", ExpectedVersion.ANY, 4, 5, 6), new AppendOk(3, 5), 12, 13);
        op(0, append("s", 4, 7), new Conflict(5), 14, 15);
        op(0, append("s", 5, 7), new AppendOk(6, 6), 16, 17);
        op(0, new Read("s"), read(1, 2, 3, 4, 5, 6, 7), 18, 19);
        assertLinearizable();
    }

    @Test
    void shouldAcceptOverlappingOperationsThatMustBeReorderedAgainstTheirReturnOrder() {
        // B returns first but needs A's event before it; the read overlaps both and sees both.
        op(1, append("s", 0, 2), new AppendOk(1, 1), 1, 5);
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new AppendOk(0, 0), 0, 10);
        op(2, new Read("s"), read(1, 2), 2, 8);
        // C's conflict names version 1 while A and B are in flight: legal, after both.
        op(3, append("s", ExpectedVersion.NO_STREAM, 3), new Conflict(1), 3, 4);
        // A read that sees nothing, overlapping A: before A.
        op(4, new Read("s"), read(), 0, 9);
        assertLinearizable();
    }

    @Test
    void shouldBacktrackWhenTheFirstLegalChoiceLeadsNowhere() {
        // The unknown append is legal first, but then the read of nothing cannot follow: the search must undo it.
        op(0, append("s", ExpectedVersion.ANY, 9), new Unknown("timeout"), 0, NEVER);
        op(1, new Read("s"), read(), 1, 2);
        op(1, new Read("s"), read(9), 3, 4);
        op(2, append("s", 0, 10), new AppendOk(1, 1), 5, 6);
        assertLinearizable();
    }

    @Test
    void shouldAcceptAnUnknownAppendThatTookEffect() {
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new Unknown("timeout"), 0, NEVER);
        op(1, new Read("s"), read(), 1, 2); // not yet
        op(1, new Read("s"), read(1), 3, 4); // now
        op(2, append("s", 0, 2), new AppendOk(1, 1), 5, 6);
        op(1, new Read("s"), read(1, 2), 7, 8);
        assertLinearizable();
    }

    @Test
    void shouldAcceptAnUnknownAppendThatDidNotTakeEffect() {
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new Unknown("fsync failed"), 0, NEVER);
        op(1, new Read("s"), read(), 1, 2);
        op(2, append("s", ExpectedVersion.NO_STREAM, 2), new AppendOk(0, 0), 3, 4);
        op(1, new Read("s"), read(2), 5, 6);
        assertLinearizable();
    }

    @Test
    void shouldRejectAnUnknownAppendSeenAndThenGone() {
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new Unknown("timeout"), 0, NEVER);
        op(1, new Read("s"), read(1), 1, 2);
        op(1, new Read("s"), read(), 3, 4);
        assertNotLinearizable();
    }

    /** The history of issue 10: B's 409 names A's version 189 before A is acknowledged, then C reads 0..188. */
    @Test
    void shouldRejectTheHistoryOfTheBugReportAndExplainIt() {
        op(9, append("orders", ExpectedVersion.NO_STREAM, range(0, 188)), new AppendOk(0, 188), 0, 1);
        op(0, append("orders", 188, 1189), new AppendOk(189, 189), 10, 50); // A, in flight
        op(1, append("orders", 185, 2000), new Conflict(189), 20, 25); // B
        op(2, new Read("orders"), read(range(0, 188)), 30, 35); // C, after B's 409, before A's ack
        Result r = assertNotLinearizable();
        assertEquals(List.of("orders"), r.failedPartitions());
        String why = r.explanation();
        assertTrue(why.contains("partition orders"), why);
        assertTrue(why.contains("could not place"), why);
        assertTrue(why.contains("conflict(current 189)"), why);
    }

    @Test
    void shouldAcceptTheBugReportsHistoryWhenTheReadSeesTheVersionThe409Named() {
        op(9, append("orders", ExpectedVersion.NO_STREAM, range(0, 188)), new AppendOk(0, 188), 0, 1);
        op(0, append("orders", 188, 1189), new AppendOk(189, 189), 10, 50);
        op(1, append("orders", 185, 2000), new Conflict(189), 20, 25);
        long[] all = LongStream.concat(LongStream.rangeClosed(0, 188), LongStream.of(1189)).toArray();
        op(2, new Read("orders"), read(all), 30, 35);
        assertLinearizable();
    }

    @Test
    void shouldRejectAConflictNamingAVersionNoOneHasWritten() {
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new AppendOk(0, 0), 0, 1);
        op(1, append("s", 5, 2), new Conflict(1), 2, 3);
        assertNotLinearizable();
    }

    @Test
    void shouldRejectAConflictWhenTheExpectedVersionMatched() {
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new AppendOk(0, 0), 0, 1);
        op(1, append("s", 0, 2), new Conflict(0), 2, 3);
        assertNotLinearizable();
    }

    @Test
    void shouldRejectAnAppendWhoseVersionsAreNotContiguousFromTheEnd() {
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new AppendOk(0, 0), 0, 1);
        op(1, append("s", ExpectedVersion.ANY, 2, 3), new AppendOk(2, 3), 2, 3);
        assertNotLinearizable();
    }

    @Test
    void shouldRejectAReadThatMissesAnAppendAcknowledgedBeforeTheReadStarted() {
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new AppendOk(0, 0), 0, 10);
        op(0, append("s", 0, 2), new AppendOk(1, 1), 11, 20);
        op(1, new Read("s"), read(1), 21, 30);
        Result r = assertNotLinearizable();
        assertTrue(r.explanation().contains("read(s)"), r::explanation);
    }

    @Test
    void shouldRejectAStaleRead() {
        op(0, append("s", ExpectedVersion.NO_STREAM, 1), new AppendOk(0, 0), 0, 1);
        op(0, append("s", 0, 2), new AppendOk(1, 1), 5, 100); // in flight across both reads
        op(1, new Read("s"), read(1, 2), 10, 20); // sees it: it took effect before 20
        op(2, new Read("s"), read(1), 30, 40); // so this read, after, cannot miss it
        assertNotLinearizable();
    }

    @Test
    void shouldNameOnlyTheBadPartition() {
        op(0, append("good", ExpectedVersion.NO_STREAM, 1), new AppendOk(0, 0), 0, 10);
        op(1, append("bad", ExpectedVersion.NO_STREAM, 2), new AppendOk(0, 0), 1, 11);
        op(2, new Read("good"), read(1), 5, 15);
        op(3, new Read("bad"), read(), 20, 30);
        op(2, new Read("good"), read(1), 20, 30);
        Result r = assertNotLinearizable();
        assertEquals(List.of("bad"), r.failedPartitions());
        assertEquals(2, r.partitions().size());
        String why = r.explanation();
        assertTrue(why.contains("partition bad") && !why.contains("partition good"), why);
    }

    @Test
    void shouldGiveUpWithUnknownNotPassWhenABoundIsReached() {
        // 20 unknown appends with "any": every subset in every order is a distinct state (exponential).
        for (int i = 0; i < 20; i++) {
            op(i, append("s", ExpectedVersion.ANY, i), new Unknown("timeout"), i, NEVER);
        }
        op(99, new Read("s"), read(19, 18), 100, 101);
        Result tooMany = LinearizabilityChecker.check(MODEL, history, new Bounds(10, 1_000_000, Duration.ofSeconds(5)));
        assertEquals(Verdict.UNKNOWN, tooMany.verdict(), tooMany::explanation);
        Result tooLong = LinearizabilityChecker.check(MODEL, history, new Bounds(100, 50, Duration.ofSeconds(5)));
        assertEquals(Verdict.UNKNOWN, tooLong.verdict(), tooLong::explanation);
        assertTrue(tooLong.explanation().contains("search stopped after"), tooLong::explanation);
        Result timedOut = LinearizabilityChecker.check(MODEL, history, new Bounds(100, Long.MAX_VALUE, Duration.ofMillis(50)));
        assertEquals(Verdict.UNKNOWN, timedOut.verdict(), timedOut::explanation);
    }
}
