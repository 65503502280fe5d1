package io.strand.http;

import io.quarkus.runtime.ShutdownEvent;
import io.strand.ops.StrandConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
        AtomicInteger n = new AtomicInteger();
        int threads = config.http().appendThreads();
        pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.http().appendQueue()), r -> {
                    Thread t = new Thread(r, "strand-append-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
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
