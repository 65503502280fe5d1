package io.strand.log;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * The background scrubber: every {@code interval} it re-verifies the flushed part of the log, record
 * by record (framing and CRC-32C, as recovery does), at no more than {@code rate} bytes per second,
 * so a bit flipped in data nobody reads is found (ZFS scrub, Ceph deep-scrub). What it finds goes to
 * {@link CorruptRecords}, the same de-dup, counter and log line as reads; what it checked is
 * {@link #verifiedBytes()}.
 *
 * <p>It reads only below the flushed position of the moment (never bytes a commit or flush is still
 * writing), never takes the append lock, and holds a reference on the segment it reads, so
 * retention cannot unmap it underneath (a segment deleted before it gets there is skipped). A record
 * whose CRC fails is reported and stepped over; one whose framing is broken is reported and the rest
 * of its segment is skipped (the next record cannot be found).
 *
 * <p>One daemon thread, {@code strand-scrub}, started and stopped by the log. The pacing clock is
 * injected ({@link Pacer}) so a test counts the throttle's sleeps instead of timing them. The
 * counters are written by the scrub thread only and read (volatile) by metrics.
 */
final class Scrubber implements Runnable {
    /** Time and sleeping, for the rate limit; a test passes a fake one. */
    interface Pacer {
        long nanoTime();

        /** Sleeps about {@code nanos}; may return early (an unpark from {@link #stop()}). */
        void sleep(long nanos);
    }

    static final Pacer SYSTEM = new Pacer() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(long nanos) {
            LockSupport.parkNanos(nanos);
        }
    };

    /** Sleeps shorter than this are not worth a park: the debt is carried to the next record. */
    static final long MIN_SLEEP_NANOS = 1_000_000;
    private static final System.Logger LOG = System.getLogger(Scrubber.class.getName());

    private final Segments segments;
    private final LongSupplier flushed;
    private final CorruptRecords corrupt;
    private final double nanosPerByte;
    private final long intervalNanos;
    private final Pacer pacer;
    private final Thread thread;
    private final CRC32C crc = new CRC32C();
    private volatile boolean running = true;
    private volatile long verifiedBytes;
    private volatile long sleeps;
    private volatile long passes;

    Scrubber(Segments segments, LongSupplier flushed, CorruptRecords corrupt, long rateBytesPerSecond,
             long intervalNanos, Pacer pacer) {
        if (rateBytesPerSecond <= 0 || intervalNanos <= 0) {
            throw new IllegalArgumentException("scrub rate and interval must be positive: rate=" + rateBytesPerSecond
                    + ", intervalNanos=" + intervalNanos);
        }
        this.segments = segments;
        this.flushed = flushed;
        this.corrupt = corrupt;
        this.nanosPerByte = 1e9 / rateBytesPerSecond;
        this.intervalNanos = intervalNanos;
        this.pacer = pacer;
        this.thread = new Thread(this, "strand-scrub");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Stops the thread (a pass in progress ends at its next record) and waits for it. */
    void stop() {
        running = false;
        LockSupport.unpark(thread);
        if (thread.getState() != Thread.State.NEW) {
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void run() {
        while (running) {
            long deadline = System.nanoTime() + intervalNanos;
            for (long left = intervalNanos; running && left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
            }
            if (!running) {
                return;
            }
            try {
                long bytes = pass();
                passes++;
                LOG.log(System.Logger.Level.DEBUG, "scrub pass done: verifiedBytes=" + bytes);
            } catch (RuntimeException e) { // e.g. a log closing under it: try again next interval
                LOG.log(System.Logger.Level.WARNING, "scrub pass failed; the next one runs in " + intervalNanos + " ns", e);
            }
        }
    }

    /** One pass over the flushed log from its first position; returns the bytes verified. */
    long pass() {
        long position = segments.firstPosition();
        long start = pacer.nanoTime();
        long passBytes = 0;
        while (running) {
            long end = flushed.getAsLong();
            if (position >= end) {
                break;
            }
            Segment s = segments.retain(position);
            if (s == null) { // retention deleted it: go on from what is held
                long first = segments.firstPosition();
                if (first <= position) {
                    break;
                }
                position = first;
                continue;
            }
            try {
                ByteBuffer b = s.buffer();
                ByteBuffer view = b.duplicate(); // one per segment: the CRC clobbers its position and limit
                int at = (int) (position - s.basePosition());
                int limit = (int) Math.min(s.size(), end - s.basePosition());
                while (running && at < limit) {
                    int code = RecordDescriptor.check(b, view, crc, at, limit);
                    int step;
                    if (code > 0) {
                        step = RecordDescriptor.isEndOfSegment(b, at) ? 0 : code;
                        at = step == 0 ? s.size() : at + step;
                    } else if (code == RecordDescriptor.BAD_CRC) {
                        corrupt.report(s.basePosition() + at, s.basePosition(), code);
                        step = RecordDescriptor.align(RecordDescriptor.length(b, at));
                        at += step;
                    } else { // framing broken: the next record of this segment cannot be found
                        corrupt.report(s.basePosition() + at, s.basePosition(), code);
                        step = 0;
                        at = s.size();
                    }
                    verifiedBytes += step;
                    passBytes += step;
                    long ahead = (long) (passBytes * nanosPerByte) - (pacer.nanoTime() - start);
                    if (ahead >= MIN_SLEEP_NANOS && running) {
                        sleeps++;
                        pacer.sleep(ahead);
                    }
                }
                position = s.basePosition() + at;
            } finally {
                s.release();
            }
        }
        return passBytes;
    }

    boolean alive() {
        return thread.isAlive();
    }

    long verifiedBytes() {
        return verifiedBytes;
    }

    /** Times the rate limit made the scrubber sleep. */
    long sleeps() {
        return sleeps;
    }

    /** Passes completed by the thread. */
    long passes() {
        return passes;
    }
}
