package io.strand.store.history;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a recorded concurrent history for linearizability against a sequential {@link Model}.
 *
 * <h2>What it checks</h2>
 * A history is linearizable when every operation can be given one point between its call and its
 * return such that, applied in the order of those points, the model produces exactly the outputs the
 * clients observed. Operations whose outcome is unknown ({@link Operation#UNKNOWN_RETURN}: timed
 * out, failed without saying whether they took effect, or still pending when the history was taken)
 * return "at infinity", as in Knossos and Porcupine: they may be placed anywhere after their call,
 * or nowhere (they never took effect).
 *
 * <h2>Algorithm</h2>
 * Wing &amp; Gong's search with Lowe's memoisation, as in Porcupine
 * (github.com/anishathalye/porcupine, {@code checker.go}):
 * <ol>
 * <li>The history is split by {@link Model#partition} (P-compositionality: a history is
 *     linearizable iff each partition is), and each partition is checked on its own.</li>
 * <li>Call and return events are sorted by time into a doubly-linked list (a call before a return
 *     at the same instant, so touching operations count as concurrent).</li>
 * <li>Depth-first: walk the list from its head; at a call, try to linearize that operation next
 *     ({@link Model#step}); if legal and the pair (set of linearized operations as a bitset, new
 *     state) has not been seen before, push it, lift its call and return out of the list and start
 *     again from the head. Reaching a return means the operation that returns there must already
 *     have been linearized: pop the last choice and try the next candidate after it. An empty stack
 *     at a return: not linearizable. Reaching the end of the list, or the return of an unknown
 *     operation (those sort last, so every completed operation is placed): linearizable.</li>
 * </ol>
 *
 * <h2>Bounds</h2>
 * The problem is NP-complete; the cache keeps typical histories (a few clients, short overlaps)
 * near linear, but a partition is checked only if it holds at most
 * {@link Bounds#maxOperationsPerPartition} operations, and its search stops after
 * {@link Bounds#maxSteps} list steps or {@link Bounds#timeout}: the verdict is then
 * {@link Verdict#UNKNOWN}, never a pass. Keep partitions to a few thousand operations.
 *
 * <h2>Failure explanation</h2>
 * For a partition that is not linearizable the result names the partition and gives the longest
 * linearizable prefix found (its last operations and the model state after it), the operation that
 * could not be placed (the first return the search could not get past) and, for each operation that
 * was a candidate at that point, why the model refused it.
 *
 * <h2>Use</h2>
 * The checker knows nothing about how operations were executed: record any history (in process, over
 * HTTP, against three nodes) with {@link HistoryRecorder} or by building {@link Operation}s, and call
 * {@link #check(Model, List, Bounds)} with a model such as {@link StreamModel}. Times only need to
 * come from one monotonic clock per history (for several machines, record on the clients).
 * Over HTTP (the cluster, three nodes): a 201 is {@link StreamModel.AppendOk} with the response's
 * first and last version, a 409 is {@link StreamModel.Conflict} with its {@code currentVersion}, and
 * anything that does not say whether the append happened (a timeout, a dropped connection, a 5xx
 * after the request was sent, a 503 that may come after a leader change) is
 * {@link StreamModel.Unknown} ended with {@link HistoryRecorder.Call#endUnknown}; a whole-stream
 * read must be one response (a limit above the stream's length): pages read one after the other are
 * not one atomic read. Unknown outcomes are costly to search (each may be placed anywhere after its
 * call, or nowhere): keep them rare, or the bounds give {@link Verdict#UNKNOWN}.
 * {@link EventStoreLinearizabilityTest} is the in-process example.
 */
public final class LinearizabilityChecker {

    public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

    /**
     * Limits of one check, per partition.
     *
     * @param maxOperationsPerPartition a larger partition is not searched (verdict unknown)
     * @param maxSteps                  list steps of the search before giving up (verdict unknown)
     * @param timeout                   wall time of one partition's search before giving up
     */
    public record Bounds(int maxOperationsPerPartition, long maxSteps, Duration timeout) {
        public static Bounds defaults() {
            return new Bounds(10_000, 50_000_000L, Duration.ofSeconds(10));
        }
    }

    /** The verdict for one partition and, when it is not a pass, why. */
    public record PartitionResult(Object key, Verdict verdict, int operations, long steps, String explanation) {
    }

    /** The verdict for a history: not linearizable if any partition is; unknown if any could not be decided. */
    public record Result(Verdict verdict, List<PartitionResult> partitions) {
        public boolean linearizable() {
            return verdict == Verdict.LINEARIZABLE;
        }

        /** The failing (then undecided) partitions' explanations, for an assertion message. */
        public String explanation() {
            StringBuilder b = new StringBuilder("history is " + verdict + " (" + partitions.size() + " partitions)");
            for (PartitionResult p : partitions) {
                if (p.verdict() != Verdict.LINEARIZABLE) {
                    b.append("\n--- partition ").append(p.key()).append(": ").append(p.verdict()).append(", ")
                            .append(p.operations()).append(" operations, ").append(p.steps()).append(" steps\n")
                            .append(p.explanation());
                }
            }
            return b.toString();
        }

        /** The keys of the partitions that are not linearizable. */
        public List<Object> failedPartitions() {
            return partitions.stream().filter(p -> p.verdict() == Verdict.NOT_LINEARIZABLE).map(PartitionResult::key).toList();
        }
    }

    private LinearizabilityChecker() {
    }

    public static <S, I, O> Result check(Model<S, I, O> model, List<Operation<I, O>> history) {
        return check(model, history, Bounds.defaults());
    }

    public static <S, I, O> Result check(Model<S, I, O> model, List<Operation<I, O>> history, Bounds bounds) {
        Map<Object, List<Operation<I, O>>> partitions = new LinkedHashMap<>();
        for (Operation<I, O> op : history) {
            partitions.computeIfAbsent(model.partition(op.input()), k -> new ArrayList<>()).add(op);
        }
        List<PartitionResult> results = new ArrayList<>();
        Verdict verdict = Verdict.LINEARIZABLE;
        for (Map.Entry<Object, List<Operation<I, O>>> e : partitions.entrySet()) {
            PartitionResult r = new Search<>(model, e.getKey(), e.getValue(), bounds).run();
            results.add(r);
            if (r.verdict() == Verdict.NOT_LINEARIZABLE) {
                verdict = Verdict.NOT_LINEARIZABLE;
            } else if (r.verdict() == Verdict.UNKNOWN && verdict == Verdict.LINEARIZABLE) {
                verdict = Verdict.UNKNOWN;
            }
        }
        return new Result(verdict, List.copyOf(results));
    }

    /** A call or return event in the time-ordered list. */
    private static final class Node {
        final int op; // index into the partition's operations
        final boolean call;
        final long time;
        Node match; // the call's return (null for returns)
        Node prev;
        Node next;

        Node(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    private record CacheKey(long[] linearized, Object state) {
        @Override
        public boolean equals(Object o) {
            return o instanceof CacheKey k && Arrays.equals(linearized, k.linearized) && Objects.equals(state, k.state);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(linearized) + Objects.hashCode(state);
        }
    }

    private record Frame<S>(Node entry, S state) {
    }

    private static final class Search<S, I, O> {
        private final Model<S, I, O> model;
        private final Object key;
        private final List<Operation<I, O>> ops;
        private final Bounds bounds;

        // Deepest point reached: the prefix, its state, and the return that stopped it.
        private int bestDepth = -1;
        private int[] bestPrefix = new int[0];
        private S bestState;
        private int bestBlocked = -1;
        private int[] bestCandidates = new int[0];

        Search(Model<S, I, O> model, Object key, List<Operation<I, O>> ops, Bounds bounds) {
            this.model = model;
            this.key = key;
            this.ops = ops;
            this.bounds = bounds;
        }

        PartitionResult run() {
            int n = ops.size();
            if (n > bounds.maxOperationsPerPartition()) {
                return new PartitionResult(key, Verdict.UNKNOWN, n, 0, "not checked: " + n
                        + " operations, more than the bound of " + bounds.maxOperationsPerPartition());
            }
            Node head = buildList();
            long deadline = System.nanoTime() + bounds.timeout().toNanos();
            long[] linearized = new long[(n + 63) / 64];
            Set<CacheKey> cache = new HashSet<>();
            ArrayDeque<Frame<S>> calls = new ArrayDeque<>();
            S state = model.init();
            Node entry = head.next;
            long steps = 0;
            while (head.next != null) {
                if (++steps > bounds.maxSteps() || ((steps & 1023) == 0 && System.nanoTime() > deadline)) {
                    return new PartitionResult(key, Verdict.UNKNOWN, n, steps, "search stopped after " + steps
                            + " steps (bounds: " + bounds + "); deepest linearizable prefix so far:\n" + explain());
                }
                if (entry == null) { // only calls of unknown operations left, none placeable: they never took effect
                    break;
                }
                if (entry.call) {
                    Operation<I, O> op = ops.get(entry.op);
                    S next = model.step(state, op.input(), op.output());
                    if (next != null) {
                        long[] bits = linearized.clone();
                        bits[entry.op >>> 6] |= 1L << entry.op;
                        if (cache.add(new CacheKey(bits, next))) {
                            calls.push(new Frame<>(entry, state));
                            state = next;
                            linearized[entry.op >>> 6] |= 1L << entry.op;
                            lift(entry);
                            entry = head.next;
                            continue;
                        }
                    }
                    entry = entry.next;
                } else {
                    if (ops.get(entry.op).ret() == Operation.UNKNOWN_RETURN) {
                        break; // every completed operation is linearized; the unknown ones left never took effect
                    }
                    noteDeepest(head, entry, calls, state);
                    if (calls.isEmpty()) {
                        return new PartitionResult(key, Verdict.NOT_LINEARIZABLE, n, steps, explain());
                    }
                    Frame<S> top = calls.pop();
                    entry = top.entry();
                    state = top.state();
                    linearized[entry.op >>> 6] &= ~(1L << entry.op);
                    unlift(entry);
                    entry = entry.next;
                }
            }
            return new PartitionResult(key, Verdict.LINEARIZABLE, n, steps, "");
        }

        private Node buildList() {
            List<Node> nodes = new ArrayList<>(2 * ops.size());
            for (int i = 0; i < ops.size(); i++) {
                Operation<I, O> op = ops.get(i);
                Node c = new Node(i, true, op.call());
                Node r = new Node(i, false, op.ret());
                c.match = r;
                nodes.add(c);
                nodes.add(r);
            }
            // By time; at equal times calls first (touching operations are concurrent); stable otherwise.
            nodes.sort(Comparator.<Node>comparingLong(x -> x.time).thenComparing(x -> !x.call));
            Node head = new Node(-1, false, Long.MIN_VALUE);
            Node prev = head;
            for (Node x : nodes) {
                prev.next = x;
                x.prev = prev;
                prev = x;
            }
            return head;
        }

        private static void lift(Node entry) {
            entry.prev.next = entry.next;
            entry.next.prev = entry.prev; // a call always has its return after it
            Node match = entry.match;
            match.prev.next = match.next;
            if (match.next != null) {
                match.next.prev = match.prev;
            }
        }

        private static void unlift(Node entry) {
            Node match = entry.match;
            match.prev.next = match;
            if (match.next != null) {
                match.next.prev = match;
            }
            entry.prev.next = entry;
            entry.next.prev = entry;
        }

        private void noteDeepest(Node head, Node blocked, ArrayDeque<Frame<S>> calls, S state) {
            if (calls.size() <= bestDepth) {
                return;
            }
            bestDepth = calls.size();
            bestPrefix = new int[bestDepth];
            int i = bestDepth;
            for (Frame<S> f : calls) { // top first
                bestPrefix[--i] = f.entry().op;
            }
            bestState = state;
            bestBlocked = blocked.op;
            List<Integer> candidates = new ArrayList<>();
            for (Node x = head.next; x != null && x != blocked; x = x.next) {
                if (x.call) {
                    candidates.add(x.op);
                }
            }
            bestCandidates = candidates.stream().mapToInt(Integer::intValue).toArray();
        }

        private String explain() {
            if (bestDepth < 0) {
                return "(no return reached)";
            }
            long t0 = ops.stream().mapToLong(Operation::call).min().orElse(0);
            StringBuilder b = new StringBuilder();
            b.append("(times: clock units since the partition's first call, ns for System.nanoTime)\n");
            b.append("longest linearizable prefix: ").append(bestDepth).append(" of ").append(ops.size())
                    .append(" operations");
            int from = Math.max(0, bestDepth - 8);
            if (from > 0) {
                b.append(" (last 8)");
            }
            b.append('\n');
            for (int i = from; i < bestDepth; i++) {
                b.append("    ").append(format(bestPrefix[i], t0)).append('\n');
            }
            b.append("  state after it: ").append(model.describeState(bestState)).append('\n');
            b.append("  could not place, before it returned: ").append(format(bestBlocked, t0)).append('\n');
            b.append("  candidates at that point (each refused by the model from that state, or leading to a dead end):\n");
            int shown = 0;
            for (int op : bestCandidates) {
                if (shown++ == 12) {
                    b.append("    ... ").append(bestCandidates.length - 12).append(" more\n");
                    break;
                }
                Operation<I, O> o = ops.get(op);
                boolean legal = model.step(bestState, o.input(), o.output()) != null;
                b.append("    ").append(format(op, t0)).append(legal ? "  [legal here, dead end later]" : "  [illegal here]")
                        .append('\n');
            }
            return b.toString();
        }

        private String format(int index, long t0) {
            Operation<I, O> o = ops.get(index);
            String ret = o.completed() ? "+" + (o.ret() - t0) : "never (unknown outcome)";
            return "#" + o.id() + " client " + o.client() + " " + model.describe(o.input(), o.output())
                    + "  [call +" + (o.call() - t0) + ", return " + ret + "]";
        }
    }
}
