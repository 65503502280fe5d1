package io.strand.cluster;

import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that runs the cluster's short delayed tasks (a follower's nudge for the commit
 * index, a retried request). Not {@code CompletableFuture.delayedExecutor}: it hands each task to
 * the common fork-join pool, and where that pool has one thread (the JVM sees two CPUs or fewer:
 * this machine, a Kubernetes pod limited to two) a {@code CompletableFuture} starts a new thread per
 * task instead. Every append through a follower scheduled one; thread starts cost this VM 50-100
 * us of kernel time each. Tasks must not block.
 */
final class RaftTimer {
    private static final ScheduledExecutorService TIMER = create();

    private RaftTimer() {
    }

    private static ScheduledExecutorService create() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "strand-raft-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    /** How long a request that failed fast waits before it is made again ({@link #retryBefore}). */
    static final long RETRY_MILLIS = 100;

    /**
     * Runs {@code retry} {@value #RETRY_MILLIS} ms from now if the deadline ({@code System.nanoTime()})
     * leaves room for it and its answer (two waits); false, running nothing, when the time is up.
     */
    static boolean retryBefore(long deadline, Runnable retry) {
        if (deadline - System.nanoTime() <= TimeUnit.MILLISECONDS.toNanos(2 * RETRY_MILLIS)) {
            return false;
        }
        TIMER.schedule(retry, RETRY_MILLIS, TimeUnit.MILLISECONDS);
        return true;
    }

    /** Runs its tasks {@code millis} after they are given, on the timer thread. */
    static Executor after(long millis) {
        return task -> TIMER.schedule(task, millis, TimeUnit.MILLISECONDS);
    }
}
