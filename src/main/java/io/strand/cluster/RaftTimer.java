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

    /** Runs its tasks {@code millis} after they are given, on the timer thread. */
    static Executor after(long millis) {
        return task -> TIMER.schedule(task, millis, TimeUnit.MILLISECONDS);
    }
}
