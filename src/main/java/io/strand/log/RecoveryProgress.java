package io.strand.log;

/**
 * How far opening has got, for the startup probe and the log: the phase (log scan, index load,
 * index rebuild), bytes done of bytes to do in that phase, and an estimate of the time left.
 * Written by the opening thread, read by anyone.
 */
public final class RecoveryProgress {
    private volatile String phase = "waiting";
    private volatile long done;
    private volatile long total;
    private volatile long phaseStartNanos = System.nanoTime();
    private volatile boolean finished;
    private volatile boolean cancelled;

    /** Starts a phase of {@code total} bytes (an upper bound). */
    public void phase(String name, long total) {
        checkCancelled();
        this.phase = name;
        this.total = Math.max(0, total);
        this.done = 0;
        this.phaseStartNanos = System.nanoTime();
    }

    public void done(long bytes) {
        checkCancelled();
        this.done = bytes;
    }

    /**
     * Asks opening to stop (the application is stopping): the next progress report throws
     * {@link java.util.concurrent.CancellationException}. Safe at any point of recovery, which only
     * reads until its scans are done and moves no checkpoint before that: the next start redoes it.
     */
    public void cancel() {
        cancelled = true;
    }

    private void checkCancelled() {
        if (cancelled) {
            throw new java.util.concurrent.CancellationException("opening cancelled: the application is stopping");
        }
    }

    public void finish() {
        done = total; // the last phase is complete: its figures say so, with nothing left
        phase = "finished";
        finished = true;
    }

    public boolean finished() {
        return finished;
    }

    public String phase() {
        return phase;
    }

    public long doneBytes() {
        return done;
    }

    public long totalBytes() {
        return total;
    }

    /** Estimated milliseconds left in this phase at its rate so far, or -1 when unknown. */
    public long etaMillis() {
        long d = done;
        long t = total;
        long elapsed = System.nanoTime() - phaseStartNanos;
        if (d <= 0 || t <= d) {
            return d >= t && t > 0 ? 0 : -1;
        }
        return (long) ((double) elapsed / d * (t - d) / 1_000_000);
    }

    @Override
    public String toString() {
        return phase + " " + done + "/" + total + " bytes, eta " + etaMillis() + " ms";
    }
}
