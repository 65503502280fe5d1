package io.strand.store.history;

import io.strand.store.ExpectedVersion;

import java.util.Arrays;

/**
 * The sequential specification of one stream, for {@link LinearizabilityChecker}: the state is the
 * list of (version, event id) appended so far, versions 0, 1, 2, ... (event ids are {@code long}s
 * the test chose, unique in the history). Histories are partitioned by stream name.
 *
 * <ul>
 * <li>{@link Append} with an expected version ({@code n >= 0}, {@link ExpectedVersion#ANY},
 *     {@link ExpectedVersion#NO_STREAM}, {@link ExpectedVersion#EXISTS}) and k ids:
 *     <ul>
 *     <li>{@link AppendOk}{@code (first, last)} is legal only if the expected version matches the
 *         current last version and {@code first = last version + 1}, {@code last = first + k - 1};
 *         the ids are appended;</li>
 *     <li>{@link Conflict}{@code (current)} only if it does not match and {@code current} is the
 *         current last version (-1 for an empty stream); nothing changes;</li>
 *     <li>{@link Unknown}: if it matches, the ids are appended (the checker also tries "never took
 *         effect").</li>
 *     </ul></li>
 * <li>{@link Read} of the whole stream: {@link ReadOk}{@code (versions, ids)} is legal only if the
 *     versions are 0..n-1 and the ids are exactly the state's (an empty read: the stream has no
 *     event). An unknown read tells nothing.</li>
 * </ul>
 */
public final class StreamModel implements Model<StreamModel.State, StreamModel.Input, StreamModel.Output> {

    public sealed interface Input permits Append, Read {
        String stream();
    }

    /** Append {@code ids} (one event each) if the stream is at {@code expected}. */
    public record Append(String stream, long expected, long[] ids) implements Input {
        @Override
        public String toString() {
            return "append(" + stream + ", expected " + ExpectedVersion.describe(expected) + ", ids " + shortList(ids) + ")";
        }
    }

    /** Read the whole stream. */
    public record Read(String stream) implements Input {
        @Override
        public String toString() {
            return "read(" + stream + ")";
        }
    }

    public sealed interface Output permits AppendOk, Conflict, ReadOk, Unknown {
    }

    public record AppendOk(long firstVersion, long lastVersion) implements Output {
        @Override
        public String toString() {
            return "ok(" + firstVersion + ".." + lastVersion + ")";
        }
    }

    /** Refused: the stream is at {@code currentVersion} (-1: no event). */
    public record Conflict(long currentVersion) implements Output {
        @Override
        public String toString() {
            return "conflict(current " + currentVersion + ")";
        }
    }

    /** The versions and ids read, in order. */
    public record ReadOk(long[] versions, long[] ids) implements Output {
        public ReadOk {
            if (versions.length != ids.length) {
                throw new IllegalArgumentException("versions and ids differ in length");
            }
        }

        @Override
        public String toString() {
            if (ids.length == 0) {
                return "read nothing";
            }
            return "read " + ids.length + " events, versions " + versions[0] + ".." + versions[versions.length - 1]
                    + ", last ids " + tail(ids, 3);
        }
    }

    /** No answer, or a failure that does not say whether the operation took effect. */
    public record Unknown(String why) implements Output {
        @Override
        public String toString() {
            return "unknown (" + why + ")";
        }
    }

    /**
     * The stream's ids, newest first, as an immutable shared list: appending is O(1) and states that
     * share a history share their tail (equality stops at the first shared node).
     */
    public static final class State {
        static final State EMPTY = new State(null, 0, 0, 0);
        final State prev;
        final long id;
        final int size;
        final int hash;

        private State(State prev, long id, int size, int hash) {
            this.prev = prev;
            this.id = id;
            this.size = size;
            this.hash = hash;
        }

        State append(long id) {
            return new State(this, id, size + 1, 31 * hash + Long.hashCode(id));
        }

        /** The last version (-1 when empty). */
        public long lastVersion() {
            return size - 1;
        }

        /** The ids, oldest first. */
        public long[] ids() {
            long[] out = new long[size];
            State s = this;
            for (int i = size - 1; i >= 0; i--, s = s.prev) {
                out[i] = s.id;
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof State other) || other.size != size || other.hash != hash) {
                return false;
            }
            State a = this;
            State b = other;
            while (a != b) {
                if (a.id != b.id) {
                    return false;
                }
                a = a.prev;
                b = b.prev;
            }
            return true;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public String toString() {
            return size == 0 ? "empty stream" : "last version " + lastVersion() + ", last ids " + tail(ids(), 5);
        }
    }

    @Override
    public Object partition(Input input) {
        return input.stream();
    }

    @Override
    public State init() {
        return State.EMPTY;
    }

    @Override
    public State step(State state, Input input, Output output) {
        if (input instanceof Append a) {
            boolean matches = matches(a.expected(), state.lastVersion());
            if (output instanceof AppendOk ok) {
                if (!matches || ok.firstVersion() != state.size || ok.lastVersion() != state.size + a.ids().length - 1) {
                    return null;
                }
                return appended(state, a.ids());
            }
            if (output instanceof Conflict c) {
                return !matches && c.currentVersion() == state.lastVersion() ? state : null;
            }
            if (output instanceof Unknown) {
                return matches ? appended(state, a.ids()) : null;
            }
            return null;
        }
        if (output instanceof ReadOk r) {
            if (r.ids().length != state.size) {
                return null;
            }
            State s = state;
            for (int i = state.size - 1; i >= 0; i--, s = s.prev) {
                if (r.versions()[i] != i || r.ids()[i] != s.id) {
                    return null;
                }
            }
            return state;
        }
        return output instanceof Unknown ? state : null;
    }

    @Override
    public String describe(Input input, Output output) {
        return input + " -> " + output;
    }

    /** The semantics of {@link ExpectedVersion}, restated here so the model does not depend on the store's code. */
    static boolean matches(long expected, long current) {
        if (expected == ExpectedVersion.ANY) {
            return true;
        }
        if (expected == ExpectedVersion.EXISTS) {
            return current >= 0;
        }
        if (expected == ExpectedVersion.NO_STREAM) {
            return current == -1;
        }
        return expected >= 0 && expected == current;
    }

    private static State appended(State state, long[] ids) {
        State s = state;
        for (long id : ids) {
            s = s.append(id);
        }
        return s;
    }

    private static String shortList(long[] ids) {
        if (ids.length <= 6) {
            return Arrays.toString(ids);
        }
        return "[" + ids[0] + ", " + ids[1] + ", ... " + ids[ids.length - 1] + "] (" + ids.length + " ids)";
    }

    private static String tail(long[] ids, int n) {
        return Arrays.toString(Arrays.copyOfRange(ids, Math.max(0, ids.length - n), ids.length));
    }
}
