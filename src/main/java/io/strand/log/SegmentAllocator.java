package io.strand.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Prepares the next segment in the background: reserves its blocks, maps it and warms its first
 * {@code warmBytes} (0 in sync mode), so that rolling to it costs the writer nothing (RocketMQ's
 * AllocateMappedFileService, one segment ahead). Only a window is warmed, never the whole
 * segment: the {@link Pretoucher} keeps the window moving ahead of the writer, and touching a cold
 * GiB at once stalled this VM ~2 s. Thread-safe; the preparation runs on one daemon thread.
 */
final class SegmentAllocator implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SegmentAllocator.class.getName());

    private final Path dir;
    private final int segmentSize;
    private final int warmBytes;
    private final ExecutorService executor;
    private long preparedBase = -1;
    private CompletableFuture<Segment> prepared;

    SegmentAllocator(Path dir, int segmentSize, int warmBytes) {
        this.dir = dir;
        this.segmentSize = segmentSize;
        this.warmBytes = Math.min(warmBytes, segmentSize);
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "strand-segment-allocator");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The segment starting at {@code basePosition}, ready for writing; blocks only when the
     * background preparation has not finished (or was for another position). Starts preparing the
     * following segment before returning.
     */
    synchronized Segment take(long basePosition) throws IOException {
        Segment segment;
        if (prepared != null && preparedBase == basePosition) {
            CompletableFuture<Segment> p = prepared;
            prepared = null; // a failed preparation (a full disk) is retried afresh by the next take
            segment = await(p);
        } else {
            discardPrepared();
            segment = createAndTouch(basePosition);
        }
        prepared = null;
        prepareAsync(basePosition + segmentSize);
        return segment;
    }

    /** Starts preparing the segment at {@code basePosition} unless that is already under way. */
    synchronized void prepareAsync(long basePosition) {
        if (prepared != null && preparedBase == basePosition) {
            return;
        }
        discardPrepared();
        preparedBase = basePosition;
        prepared = CompletableFuture.supplyAsync(() -> {
            try {
                return createAndTouch(basePosition);
            } catch (IOException e) {
                throw new LogException("preparing segment failed: basePosition=" + basePosition + ", dir=" + dir, e);
            }
        }, executor);
    }

    private Segment createAndTouch(long basePosition) throws IOException {
        Segment segment = Segment.create(dir, basePosition, segmentSize);
        if (warmBytes > 0) {
            Pretoucher.touch(segment, 0, warmBytes);
        }
        return segment;
    }

    private static Segment await(CompletableFuture<Segment> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the next segment", e);
        } catch (ExecutionException e) {
            throw new IOException("preparing the next segment failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Drops a prepared segment that will not be used: it is zero-filled, but beyond the log's tail. */
    private void discardPrepared() {
        if (prepared == null) {
            return;
        }
        CompletableFuture<Segment> p = prepared;
        prepared = null;
        try {
            Segment s = await(p);
            s.markForDeletion();
            s.release();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "discarding a prepared segment failed", e);
        }
    }

    @Override
    public synchronized void close() {
        // A prepared, unused segment stays on disk: it is all zeros and recovery deletes segments beyond the tail.
        if (prepared != null) {
            try {
                await(prepared).release();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "closing a prepared segment failed", e);
            }
            prepared = null;
        }
        executor.shutdownNow();
    }
}
