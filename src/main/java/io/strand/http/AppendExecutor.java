package io.strand.http;

import io.quarkus.runtime.ShutdownEvent;
import io.strand.ops.StrandConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * The threads that run appends off the event loop: with the transient pool off an append writes into
 * the mapping (which may fault), and in either mode a re-sent batch reads the log for its repeat
 * check. Apart from the {@link ReadExecutor}, so that heavy reads never refuse appends. The queue is
 * bounded ({@code strand.http.append-queue}): when it is full an append is refused (503) instead of
 * queued.
 */
@ApplicationScoped
public class AppendExecutor implements Executor {
    private final ThreadPoolExecutor pool;

    AppendExecutor(StrandConfig config) {
        pool = BoundedThreads.create("strand-append-", config.http().appendThreads(), config.http().appendQueue());
    }

    /** Runs {@code task} on an append thread; throws {@link RejectedExecutionException} when busy. */
    @Override
    public void execute(Runnable task) {
        pool.execute(task);
    }

    void onStop(@Observes ShutdownEvent event) {
        pool.shutdownNow();
    }
}
