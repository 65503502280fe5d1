package io.strand.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps the pages just ahead of the write position faulted in and writable, so appenders writing
 * through the mapping (pool disabled) rarely take a first-touch fault, without touching a whole
 * segment at once: touching 1 GiB of cold memory costs this machine ~2 s of CPU and stalls fsyncs
 * elsewhere (MEASURED.md), so only a window of {@code windowBytes} is kept warm.
 *
 * <p>The touch is a compare-and-set of the page's first long from 0 to 0: it takes the write fault
 * like a store would, but can never overwrite a byte an appender already stored there (if the word
 * is not zero, the CAS fails and changes nothing). That is what makes it safe to run concurrently
 * with the writer, which may overtake it at any moment.
 */
final class Pretoucher implements Runnable {
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, RecordDescriptor.ORDER);
    private static final int CHUNK_BYTES = 1 << 20;

    private final CommitLog log;
    private final Segments segments;
    private final long windowBytes;
    private final Thread thread;
    private volatile boolean stopping;
    private long touched;

    Pretoucher(CommitLog log, Segments segments, long windowBytes) {
        this.log = log;
        this.segments = segments;
        this.windowBytes = windowBytes;
        this.thread = new Thread(this, "strand-pretouch");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Touches {@code [from, to)} of a segment's pages; safe while writers write there. */
    static void touch(Segment s, int from, int to) {
        var buffer = s.buffer();
        for (int offset = from & -Segment.PAGE_SIZE; offset < to; offset += Segment.PAGE_SIZE) {
            LONG.compareAndSet(buffer, offset, 0L, 0L);
        }
    }

    @Override
    public void run() {
        while (!stopping) {
            long committed = log.committedPosition();
            if (touched < committed) {
                touched = committed;
            }
            long target = Math.min(committed + windowBytes, touched + CHUNK_BYTES);
            Segment s = touched < target ? segments.retain(touched) : null;
            if (s == null) {
                // Caught up, or the next segment does not exist yet (the allocator warms its start).
                LockSupport.parkNanos(this, TimeUnit.MICROSECONDS.toNanos(500));
                continue;
            }
            try {
                int from = (int) (touched - s.basePosition());
                int to = (int) Math.min(s.size(), target - s.basePosition());
                touch(s, from, to);
                touched = s.basePosition() + to;
            } finally {
                s.release();
            }
        }
    }

    void stop() {
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
