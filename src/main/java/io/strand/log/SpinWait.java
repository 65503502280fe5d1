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

    /**
     * Yielding after the spin, while work keeps coming: a dense stream of appends that leaves a
     * thread idle for more than the spin (the appender descheduled on two vCPUs, say) would
     * otherwise make the thread park and cost every such gap an unpark by the appender (a futex
     * call, and an IPI to wake an idle vCPU). Measured at 128 B: about 10k wake-ups/s at 20 us of
     * spin and 1.3-1.6x the rate with this phase (docs/LOG.md).
     */
    static final long YIELD_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    /** Spins up to {@link #SPIN_NANOS} until {@code condition} holds; false if it never did. */
    static boolean until(BooleanSupplier condition) {
        return until(condition, false);
    }

    /**
     * Spins up to {@link #SPIN_NANOS}, then, when {@code yielding}, yields the CPU to whatever else
     * is runnable for up to {@link #YIELD_NANOS} more, until {@code condition} holds; false if it
     * never did.
     */
    static boolean until(BooleanSupplier condition, boolean yielding) {
        long start = System.nanoTime();
        long deadline = start + SPIN_NANOS;
        do {
            for (int i = 0; i < 64; i++) {
                Thread.onSpinWait();
            }
            if (condition.getAsBoolean()) {
                return true;
            }
        } while (System.nanoTime() < deadline);
        if (yielding) {
            deadline = start + SPIN_NANOS + YIELD_NANOS;
            do {
                Thread.yield();
                if (condition.getAsBoolean()) {
                    return true;
                }
            } while (System.nanoTime() < deadline);
        }
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
