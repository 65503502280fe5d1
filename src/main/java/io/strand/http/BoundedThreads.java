package io.strand.http;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of daemon threads behind a bounded queue that refuses work when full
 * ({@link java.util.concurrent.RejectedExecutionException}, answered 503): the shape of every pool the
 * edge runs storage work on, so overload is a fast refusal, never an unbounded queue.
 */
final class BoundedThreads {
    private BoundedThreads() {
    }

    static ThreadPoolExecutor create(String namePrefix, int threads, int queue) {
        AtomicInteger n = new AtomicInteger();
        return new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue), r -> {
            Thread t = new Thread(r, namePrefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    }
}
