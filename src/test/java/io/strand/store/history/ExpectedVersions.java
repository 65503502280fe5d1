package io.strand.store.history;

import io.strand.store.ExpectedVersion;

import java.util.SplittableRandom;

/**
 * The expected versions a history's clients send: mostly the version they last saw (so appends
 * succeed and versions grow), some markers, and some stale numbers (so conflicts are recorded too).
 */
public final class ExpectedVersions {
    private ExpectedVersions() {
    }

    /** One expected version, given the last version this client saw of the stream (-1: none). */
    public static long pick(SplittableRandom random, long lastSeen) {
        int r = random.nextInt(100);
        if (r < 55) {
            return lastSeen < 0 ? ExpectedVersion.NO_STREAM : lastSeen;
        } else if (r < 70) {
            return ExpectedVersion.ANY;
        } else if (r < 77) {
            return ExpectedVersion.NO_STREAM;
        } else if (r < 84) {
            return ExpectedVersion.EXISTS;
        }
        long stale = lastSeen - 1 - random.nextInt(3);
        return stale < 0 ? ExpectedVersion.NO_STREAM : stale;
    }
}
