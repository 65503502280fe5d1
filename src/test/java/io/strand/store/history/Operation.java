package io.strand.store.history;

/**
 * One operation of a recorded history: what a client asked ({@code input}), what it got back
 * ({@code output}), and when it was called and when its answer arrived ({@code call} and
 * {@code ret}, any monotonic clock, e.g. {@link System#nanoTime()}). An operation whose outcome is
 * unknown (a timeout, an exception that does not say whether it took effect, no answer when the
 * history was taken) has {@code ret == }{@link #UNKNOWN_RETURN}: it may have taken effect at any time
 * after its call, or never.
 *
 * @param id     unique within the history (the order operations were begun in)
 * @param client who issued it (a thread, a connection); informational only
 */
public record Operation<I, O>(int id, int client, I input, O output, long call, long ret) {

    /** The return time of an operation whose outcome is unknown: after everything else. */
    public static final long UNKNOWN_RETURN = Long.MAX_VALUE;

    public Operation {
        if (ret < call) {
            throw new IllegalArgumentException("operation " + id + " returns before its call: call=" + call + ", ret=" + ret);
        }
    }

    /** True when the client got a definite answer. */
    public boolean completed() {
        return ret != UNKNOWN_RETURN;
    }
}
