package io.strand.store;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The notifier alone: every notice delivered once, posts never wait for a blocked delivery, close stops it. */
class NotifierUnitTest {

    private static final class Counting extends Notifier.Notice {
        final AtomicInteger delivered;
        final CountDownLatch gate;

        Counting(AtomicInteger delivered, CountDownLatch gate) {
            this.delivered = delivered;
            this.gate = gate;
        }

        @Override
        void deliver() {
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            delivered.incrementAndGet();
        }
    }

    @Test
    void shouldDeliverEveryNoticeOnceWithoutHoldingPostersBack() throws Exception {
        AtomicLong committed = new AtomicLong();
        Notifier notifier = new Notifier(committed::get, "test-notifier");
        notifier.start();
        try {
            AtomicInteger delivered = new AtomicInteger();
            CountDownLatch gate = new CountDownLatch(1);
            notifier.post(new Counting(delivered, gate)); // blocks the notifier in its delivery
            long started = System.nanoTime();
            for (int i = 0; i < 100_000; i++) {
                notifier.post(new Counting(delivered, new CountDownLatch(0)));
            }
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "posting does not wait for deliveries");
            assertTrue(delivered.get() < 100_001);
            gate.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (delivered.get() < 100_001 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(100_001, delivered.get(), "each notice delivered exactly once");

            AtomicInteger allWakes = new AtomicInteger();
            notifier.addAllListener(allWakes::incrementAndGet);
            committed.set(8);
            notifier.signal();
            notifier.signal(); // coalesced, and the position did not move again
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (allWakes.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(50);
            assertEquals(1, allWakes.get(), "$all listeners are woken once per move of the committed position");
        } finally {
            notifier.close();
        }
        assertFalse(notifier.alive(), "close stops the thread");
        AtomicInteger ran = new AtomicInteger();
        notifier.execute(ran::incrementAndGet);
        assertEquals(1, ran.get(), "work handed over after close runs on the caller, not never");
    }
}
