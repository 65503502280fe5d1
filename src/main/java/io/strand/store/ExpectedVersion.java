package io.strand.store;

/**
 * What an append expects of its stream: a version number (the stream's current last version), or
 * one of these markers. Kept as a {@code long} so the append path allocates nothing for it.
 */
public final class ExpectedVersion {
    /** No check. */
    public static final long ANY = -2;
    /** The stream must not exist (have no events). */
    public static final long NO_STREAM = -1;
    /** The stream must exist (have at least one event). */
    public static final long EXISTS = -4;

    private ExpectedVersion() {
    }

    /** Parses {@code any}, {@code no-stream}, {@code exists} or a non-negative number; else {@link InvalidRequestException}. */
    public static long parse(String text) {
        switch (text) {
            case "any":
                return ANY;
            case "no-stream":
                return NO_STREAM;
            case "exists":
                return EXISTS;
            default:
                try {
                    long v = Long.parseLong(text);
                    if (v >= 0) {
                        return v;
                    }
                } catch (NumberFormatException e) {
                    // fall through
                }
                throw new InvalidRequestException("Expected-Version must be a version number, any, no-stream or exists: " + text);
        }
    }

    static boolean matches(long expected, long current) {
        if (expected == ANY) {
            return true;
        }
        if (expected == EXISTS) {
            return current >= 0;
        }
        return expected == current; // NO_STREAM is -1, the current version of a stream with no events
    }

    public static String describe(long expected) {
        return expected == ANY ? "any" : expected == NO_STREAM ? "no-stream" : expected == EXISTS ? "exists" : Long.toString(expected);
    }
}
