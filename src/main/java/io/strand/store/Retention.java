package io.strand.store;

import io.strand.index.StreamIndex;
import io.strand.log.CommitLog;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;

/**
 * Deletes the log's oldest whole segments beyond an age or size, in the one safe order: carry the
 * consumer-group positions committed in them forward (and stream metadata, and what the registered
 * carry-forwards keep, such as shared groups), delete the segments, then drop from the index the
 * versions that pointed into them.
 *
 * <p>Thread-safe as far as its collaborators are (the scheduler runs it from one thread).
 * Apart from the readers and the appender because it is the one path that removes data.
 */
final class Retention {
    private final CommitLog log;
    private final StreamIndex index;
    private final ConsumerGroups groups;
    private final StreamLifecycle lifecycle;
    private final List<LongConsumer> carryForwards = new CopyOnWriteArrayList<>();

    Retention(CommitLog log, StreamIndex index, ConsumerGroups groups, StreamLifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.log = log;
        this.index = index;
        this.groups = groups;
    }

    /** See {@link EventStore#addCarryForward}. */
    Runnable add(LongConsumer carryForward) {
        carryForwards.add(carryForward);
        return () -> carryForwards.remove(carryForward);
    }

    /** See {@link EventStore#applyRetention}. */
    int apply(long maxAgeMillis, long maxBytes) throws IOException {
        long cut = log.retentionCut(maxAgeMillis, maxBytes, System.currentTimeMillis());
        if (cut <= log.firstPosition()) {
            return 0;
        }
        groups.carryForward(cut);
        lifecycle.carryForward(cut); // stream metadata too: a tombstone outlives its segment
        for (LongConsumer c : carryForwards) {
            c.accept(cut); // the subsystems' own (shared groups); one that throws stops the deletion
        }
        index.recordFloors(cut); // streams left without events go on at their next version after a restart
        int deleted = log.deleteBefore(cut);
        if (deleted > 0) {
            index.dropBefore(log.firstPosition()); // the index drops what points into deleted segments
        }
        return deleted;
    }
}
