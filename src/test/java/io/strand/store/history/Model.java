package io.strand.store.history;

/**
 * A sequential specification that {@link LinearizabilityChecker} checks a history against.
 *
 * <p>States must be immutable values with {@code equals} and {@code hashCode} (the checker caches
 * the (linearized set, state) pairs it has seen). {@link #step} is exact and deterministic: given a
 * state, an input and the output the client observed, it answers the state after the operation,
 * or {@code null} when that output is impossible from that state. For an operation whose outcome is
 * unknown ({@link Operation#UNKNOWN_RETURN}) it answers the state as if the operation took effect,
 * or {@code null} if it could not have taken effect; the checker itself covers "never took effect"
 * (an unknown operation need not be linearized at all).
 */
public interface Model<S, I, O> {

    /** Operations with different keys touch independent state and are checked separately. */
    Object partition(I input);

    S init();

    S step(S state, I input, O output);

    default String describe(I input, O output) {
        return input + " -> " + output;
    }

    default String describeState(S state) {
        return String.valueOf(state);
    }
}
