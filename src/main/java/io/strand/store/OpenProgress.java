package io.strand.store;

import io.strand.log.RecoveryProgress;

/**
 * How far opening the storage and the store has got (log scan, index load, index rebuild), for the
 * startup probe and the start-up log: the phase, bytes done of bytes to do in it, and the expected
 * time left. A read-only window onto the log's {@link RecoveryProgress}, plus {@link #cancel()} for a
 * stop that arrives while opening runs. Written by the opening thread, read by anyone.
 */
public final class OpenProgress {
    private final RecoveryProgress progress = new RecoveryProgress();

    RecoveryProgress recovery() {
        return progress;
    }

    public String phase() {
        return progress.phase();
    }

    public long doneBytes() {
        return progress.doneBytes();
    }

    public long totalBytes() {
        return progress.totalBytes();
    }

    /** Estimated milliseconds left in this phase at its rate so far, or -1 when unknown. */
    public long etaMillis() {
        return progress.etaMillis();
    }

    public boolean finished() {
        return progress.finished();
    }

    /** Marks the last phase complete (called once the store is open). */
    public void finish() {
        progress.finish();
    }

    /**
     * Asks opening to stop (the application is stopping): its next progress report throws
     * {@link java.util.concurrent.CancellationException}. Safe at any point of recovery, which only reads
     * until its scans are done: the next start redoes it.
     */
    public void cancel() {
        progress.cancel();
    }

    @Override
    public String toString() {
        return progress.toString();
    }
}
