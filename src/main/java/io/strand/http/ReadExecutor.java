package io.strand.http;

import io.quarkus.runtime.ShutdownEvent;
import io.strand.ops.StrandConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * The threads that read the log for HTTP: reads may fault mapped pages in, so they never run on an
 * event loop. The queue is bounded: when it is full a read is refused (503) instead of queued.
 */
@ApplicationScoped
public class ReadExecutor implements Executor {
    private final ThreadPoolExecutor pool;

    ReadExecutor(StrandConfig config) {
        pool = BoundedThreads.create("strand-read-", config.http().readThreads(), config.http().readQueue());
    }

    /** Runs {@code task} on a read thread; throws {@link java.util.concurrent.RejectedExecutionException} when busy. */
    @Override
    public void execute(Runnable task) {
        pool.execute(task);
    }

    void onStop(@Observes ShutdownEvent event) {
        pool.shutdownNow();
    }
}
