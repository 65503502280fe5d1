package io.strand.http;

import io.quarkus.runtime.ShutdownEvent;
import io.strand.ops.StrandConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that read the log for HTTP: reads may fault mapped pages in, so they never run on an
 * event loop. The queue is bounded: when it is full a read is refused (503) instead of queued.
 */
@ApplicationScoped
public class ReadExecutor implements Executor {
    private final ThreadPoolExecutor pool;

    ReadExecutor(StrandConfig config) {
        AtomicInteger n = new AtomicInteger();
        int threads = config.http().readThreads();
        pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.http().readQueue()), r -> {
                    Thread t = new Thread(r, "strand-read-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
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
