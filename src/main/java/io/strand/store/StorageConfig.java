package io.strand.store;

import io.strand.log.LogConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the storage under a store (the commit log) is configured with, as a plain record built
 * at the edge from the application's one {@code @ConfigMapping}; {@link Storage#open} turns it into the
 * log's own configuration. Validated on construction (the log's rules), so a bad value fails the start
 * with its name and value.
 *
 * @param dataDir            root of the data directory; segments go to {@code dataDir/commitlog}
 * @param segmentSize        bytes per segment file (a multiple of 4 KiB, at most 1 GiB)
 * @param poolEnabled        stage appends in the locked off-heap pool (true) or write straight into the mapping
 * @param poolBuffers        buffers in the pool ring
 * @param poolBufferSize     bytes per pool buffer (a multiple of 4 KiB); also the largest atomic batch
 * @param flush              the server-wide default durability
 * @param flushInterval      how often {@link FlushPolicy#ASYNC} forces committed bytes to disk
 * @param maxPendingAppends  appends that may wait for commit or flush at once before appends are refused
 * @param checkpointInterval how often the checkpoint is rewritten at most
 * @param scrubRate          bytes per second the background scrubber re-verifies at most (0: no scrubber)
 * @param scrubInterval      how often the scrubber starts a pass over the flushed log
 */
public record StorageConfig(Path dataDir, int segmentSize, boolean poolEnabled, int poolBuffers, int poolBufferSize,
                            FlushPolicy flush, Duration flushInterval, int maxPendingAppends,
                            Duration checkpointInterval, long scrubRate, Duration scrubInterval) {

    public StorageConfig {
        toLogConfig(dataDir, segmentSize, poolEnabled, poolBuffers, poolBufferSize, flush, flushInterval,
                maxPendingAppends, checkpointInterval, scrubRate, scrubInterval); // the log's checks, once
    }

    LogConfig toLogConfig() {
        return toLogConfig(dataDir, segmentSize, poolEnabled, poolBuffers, poolBufferSize, flush, flushInterval,
                maxPendingAppends, checkpointInterval, scrubRate, scrubInterval);
    }

    private static LogConfig toLogConfig(Path dataDir, int segmentSize, boolean poolEnabled, int poolBuffers,
                                         int poolBufferSize, FlushPolicy flush, Duration flushInterval,
                                         int maxPendingAppends, Duration checkpointInterval, long scrubRate,
                                         Duration scrubInterval) {
        return new LogConfig(dataDir, segmentSize, poolEnabled, poolBuffers, poolBufferSize, flush.mode(), flushInterval,
                maxPendingAppends, checkpointInterval, scrubRate, scrubInterval);
    }

    /**
     * The largest batch, in framed bytes, one append may carry: it must fit in one pool buffer (when
     * the pool is on) and in one segment next to an end-of-segment marker.
     */
    public int maxBatchBytes() {
        return toLogConfig().maxBatchBytes();
    }
}
