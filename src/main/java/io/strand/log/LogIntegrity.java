package io.strand.log;

import java.util.function.LongSupplier;

/**
 * The log's integrity checks seen from outside: verifiers for callers that slice records out of
 * raw segment bytes, the count of corrupt records found (by reads, cursors and the scrubber, once
 * per position: {@link CorruptRecords}), and the background {@link Scrubber}, which it starts and
 * stops with the log. Thread-safe. Apart from {@link CommitLog} so the facade stays about the
 * append and read paths.
 */
public final class LogIntegrity {
    private final CorruptRecords corrupt = new CorruptRecords();
    private final Scrubber scrubber; // null when the scrub rate is 0

    LogIntegrity(LogConfig config, Segments segments, LongSupplier flushedPosition) {
        this.scrubber = config.scrubRate() == 0 ? null : new Scrubber(segments, flushedPosition, corrupt,
                config.scrubRate(), config.scrubInterval().toNanos(), Scrubber.SYSTEM);
    }

    CorruptRecords corrupt() {
        return corrupt;
    }

    /** A verifier for records of {@link CommitLog#readSegment}'s bytes (one per reading task). */
    public RecordVerifier verifier() {
        return new RecordVerifier(corrupt);
    }

    /** Distinct corrupt record positions found so far. */
    public long corruptRecords() {
        return corrupt.count();
    }

    /** Bytes the background scrubber has verified so far (0 when it is off). */
    public long scrubVerifiedBytes() {
        return scrubber == null ? 0 : scrubber.verifiedBytes();
    }

    /** Whether the scrub thread runs (false when the rate is 0, and after the log closed). */
    boolean scrubberRunning() {
        return scrubber != null && scrubber.alive();
    }

    void start() {
        if (scrubber != null) {
            scrubber.start();
        }
    }

    /** Stops the scrubber and waits for it: before the segments are released (it holds references). */
    void stop() {
        if (scrubber != null) {
            scrubber.stop();
        }
    }
}
