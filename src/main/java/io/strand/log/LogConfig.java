package io.strand.log;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the log is configured with, read once at construction. Built at the edge from the
 * application's {@code @ConfigMapping}; the log never looks configuration up itself.
 *
 * @param dataDir           root of the data directory; segments go to {@code dataDir/commitlog}
 * @param segmentSize       bytes per segment file (a multiple of 4 KiB, at most 1 GiB)
 * @param poolEnabled       stage appends in the {@link TransientStorePool} (true) or write straight into the mapping
 * @param poolBuffers       number of buffers in the pool ring
 * @param poolBufferSize    bytes per pool buffer (a multiple of 4 KiB); also the largest atomic batch
 * @param flushMode         async (interval) or sync (every append waits for fdatasync)
 * @param flushInterval     how often async mode forces committed bytes to disk
 * @param waitersCapacity   appends that may wait for commit or flush at once before appends are refused
 * @param checkpointInterval how often the flush thread rewrites the checkpoint file at most
 * @param scrubRate         bytes per second the background scrubber re-verifies at most (0: no scrubber)
 * @param scrubInterval     how often the scrubber starts a pass over the flushed log
 */
public record LogConfig(Path dataDir, int segmentSize, boolean poolEnabled, int poolBuffers, int poolBufferSize,
                        FlushMode flushMode, Duration flushInterval, int waitersCapacity,
                        Duration checkpointInterval, long scrubRate, Duration scrubInterval) {

    public static final int MAX_SEGMENT_SIZE = 1 << 30;
    /** Default scrub rate: 64 MiB/s. */
    public static final long DEFAULT_SCRUB_RATE = 64L << 20;
    public static final Duration DEFAULT_SCRUB_INTERVAL = Duration.ofHours(24);

    /** With the default scrubber (64 MiB/s, a pass every 24 hours). */
    public LogConfig(Path dataDir, int segmentSize, boolean poolEnabled, int poolBuffers, int poolBufferSize,
                     FlushMode flushMode, Duration flushInterval, int waitersCapacity, Duration checkpointInterval) {
        this(dataDir, segmentSize, poolEnabled, poolBuffers, poolBufferSize, flushMode, flushInterval, waitersCapacity,
                checkpointInterval, DEFAULT_SCRUB_RATE, DEFAULT_SCRUB_INTERVAL);
    }

    public LogConfig {
        if (scrubRate < 0) {
            throw new IllegalArgumentException("scrub rate must be 0 (off) or positive: scrubRate=" + scrubRate);
        }
        if (scrubInterval.isNegative() || scrubInterval.isZero()) {
            throw new IllegalArgumentException("scrub interval must be positive: scrubInterval=" + scrubInterval);
        }
        if (segmentSize % Segment.PAGE_SIZE != 0 || segmentSize < 2 * Segment.PAGE_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
            throw new IllegalArgumentException("segment size must be a multiple of 4 KiB between 8 KiB and 1 GiB: segmentSize=" + segmentSize);
        }
        if (poolBufferSize % Segment.PAGE_SIZE != 0 || poolBufferSize <= 0) {
            throw new IllegalArgumentException("pool buffer size must be a positive multiple of 4 KiB: poolBufferSize=" + poolBufferSize);
        }
        if (poolBuffers < 2) {
            throw new IllegalArgumentException("the pool needs at least two buffers: poolBuffers=" + poolBuffers);
        }
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("flush interval must be positive: flushInterval=" + flushInterval);
        }
    }

    /** Defaults for embedding and tests: 1 GiB segments, 8 x 4 MiB pool, async flush every 500 ms. */
    public static LogConfig defaults(Path dataDir) {
        return new LogConfig(dataDir, 1 << 30, true, 8, 4 << 20, FlushMode.ASYNC, Duration.ofMillis(500),
                1 << 16, Duration.ofSeconds(1));
    }

    public LogConfig withSegmentSize(int size) {
        return new LogConfig(dataDir, size, poolEnabled, poolBuffers, poolBufferSize, flushMode, flushInterval,
                waitersCapacity, checkpointInterval, scrubRate, scrubInterval);
    }

    public LogConfig withPool(boolean enabled, int buffers, int bufferSize) {
        return new LogConfig(dataDir, segmentSize, enabled, buffers, bufferSize, flushMode, flushInterval,
                waitersCapacity, checkpointInterval, scrubRate, scrubInterval);
    }

    public LogConfig withFlush(FlushMode mode, Duration interval) {
        return new LogConfig(dataDir, segmentSize, poolEnabled, poolBuffers, poolBufferSize, mode, interval,
                waitersCapacity, checkpointInterval, scrubRate, scrubInterval);
    }

    public LogConfig withWaitersCapacity(int capacity) {
        return new LogConfig(dataDir, segmentSize, poolEnabled, poolBuffers, poolBufferSize, flushMode, flushInterval,
                capacity, checkpointInterval, scrubRate, scrubInterval);
    }

    public LogConfig withScrub(long rate, Duration interval) {
        return new LogConfig(dataDir, segmentSize, poolEnabled, poolBuffers, poolBufferSize, flushMode, flushInterval,
                waitersCapacity, checkpointInterval, rate, interval);
    }

    public Path commitLogDir() {
        return dataDir.resolve("commitlog");
    }

    /**
     * The largest batch, in framed bytes, one append may carry: it must fit in one pool buffer
     * (when the pool is on) and in one segment next to an end-of-segment marker.
     */
    public int maxBatchBytes() {
        int segmentLimit = segmentSize - RecordDescriptor.MARKER_LENGTH;
        return poolEnabled ? Math.min(poolBufferSize, segmentLimit) : segmentLimit;
    }
}
