package io.strand.log;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A brief busy-wait before parking: under a steady stream of appends the next event usually comes
 * within microseconds, and a park/unpark round trip costs more than that.
 */
final class SpinWait {
    static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

    private SpinWait() {
    }

    /** Spins up to {@link #SPIN_NANOS} until {@code condition} holds; false if it never did. */
    static boolean until(BooleanSupplier condition) {
        long deadline = System.nanoTime() + SPIN_NANOS;
        do {
            for (int i = 0; i < 64; i++) {
                Thread.onSpinWait();
            }
            if (condition.getAsBoolean()) {
                return true;
            }
        } while (System.nanoTime() < deadline);
        return false;
    }

    /**
     * Unparks {@code thread} until it has ended, ignoring interrupts while waiting (the caller frees
     * what the thread uses next); an interrupt is handed back to the caller afterwards.
     */
    static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            java.util.concurrent.locks.LockSupport.unpark(thread);
            try {
                thread.join(100);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
