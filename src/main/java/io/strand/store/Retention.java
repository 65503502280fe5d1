package io.strand.store;

import io.strand.index.StreamIndex;
import io.strand.log.CommitLog;

import java.io.IOException;

/**
 * Deletes the log's oldest whole segments beyond an age or size, in the one safe order: carry the
 * consumer-group positions committed in them forward, delete the segments, then drop from the
 * index the versions that pointed into them.
 *
 * <p>Thread-safe as far as its collaborators are (the scheduler runs it from one thread).
 * Apart from the readers and the appender because it is the one path that removes data.
 */
final class Retention {
    private final CommitLog log;
    private final StreamIndex index;
    private final ConsumerGroups groups;
    private final StreamLifecycle lifecycle;

    Retention(CommitLog log, StreamIndex index, ConsumerGroups groups, StreamLifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.log = log;
        this.index = index;
        this.groups = groups;
    }

    /** See {@link EventStore#applyRetention}. */
    int apply(long maxAgeMillis, long maxBytes) throws IOException {
        long cut = log.retentionCut(maxAgeMillis, maxBytes, System.currentTimeMillis());
        if (cut <= log.firstPosition()) {
            return 0;
        }
        groups.carryForward(cut);
        lifecycle.carryForward(cut); // stream metadata too: a tombstone outlives its segment
        int deleted = log.deleteBefore(cut);
        if (deleted > 0) {
            index.dropBefore(log.firstPosition()); // the index drops what points into deleted segments
        }
        return deleted;
    }
}
