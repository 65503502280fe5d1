package io.strand.log;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** Runs a body on N threads released together, and fails with every error any of them threw. */
public final class Concurrently {
    public interface Body {
        void run(int thread) throws Exception;
    }

    private Concurrently() {
    }

    public static void run(int threads, Body body) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    body.run(thread);
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            w.start();
            workers.add(w);
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        if (!errors.isEmpty()) {
            AssertionError failure = new AssertionError("a thread failed: " + errors);
            errors.forEach(failure::addSuppressed);
            throw failure;
        }
    }
}
