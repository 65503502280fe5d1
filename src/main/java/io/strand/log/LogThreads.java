package io.strand.log;

/**
 * The log's background threads: the commit thread (pool on), the flush thread, the pre-toucher
 * (async mode) and the scrubber. Starts them once the log is wired, says whether the two appends
 * depend on still run, and stops the two helpers at close; the commit and flush threads are
 * stopped by the close itself (their drain and final flush), which needs them running until then.
 * Exists apart from {@link CommitLog} so the facade wires and delegates and keeps no thread list.
 *
 * <p>Thread-safe as far as its parts are: {@link #alive()} may be called from any thread;
 * {@link #start()} and {@link #stopHelpers()} run once, from open and close.
 */
final class LogThreads {
    private final CommitService commitService; // null with the pool off
    private final FlushService flushService;
    private final Pretoucher pretoucher; // null when nothing is warmed ahead
    private final LogIntegrity integrity;

    LogThreads(CommitService commitService, FlushService flushService, Pretoucher pretoucher, LogIntegrity integrity) {
        this.commitService = commitService;
        this.flushService = flushService;
        this.pretoucher = pretoucher;
        this.integrity = integrity;
    }

    void start() {
        if (commitService != null) {
            commitService.start();
        }
        flushService.start();
        if (pretoucher != null) {
            pretoucher.start();
        }
        integrity.start();
    }

    /** True while the commit thread (pool on) and the flush thread run. */
    boolean alive() {
        return (commitService == null || commitService.alive()) && flushService.alive();
    }

    /** Stops the scrubber and the pre-toucher (neither holds anything the close waits for). */
    void stopHelpers() {
        integrity.stop();
        if (pretoucher != null) {
            pretoucher.stop();
        }
    }
}
