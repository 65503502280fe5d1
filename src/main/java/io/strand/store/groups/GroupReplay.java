package io.strand.store.groups;

import io.strand.store.RecordedEvent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Replays a group's parked events ({@code POST /groups/{g}/parked/replay}): walks the group's stream
 * from the first parked record not replayed to its last version at the time of the request, reading
 * only as many parked events as the consumers have room for, so a replay of any length holds no more
 * in memory than the group's in-flight limit. Once every replayed event is settled (acked, skipped,
 * or parked again: a new record), a {@code replayed} record says so. Groups thread only, but the
 * reads of the log run on the read executor.
 */
final class GroupReplay {
    private static final int PAGE = 256;
    private final SharedGroup group;
    private final GroupState state;
    private final GroupStore store;
    private final Executor thread;
    private boolean active;
    private boolean fetching;
    private long cursor;
    private long through;
    private int pending;
    /** Bumped when a carry-forward moves the parked records: a read begun before reads again. */
    private int moves;

    GroupReplay(SharedGroup group, GroupState state, GroupStore store, Executor thread) {
        this.group = group;
        this.state = state;
        this.store = store;
        this.thread = thread;
    }

    /** Starts a replay of what is parked now (a replay under way goes on; what it does not cover waits for the next). */
    void begin() {
        if (active || state.parks.size() == 0) {
            return;
        }
        active = true;
        cursor = Math.max(state.replayedThrough, state.createdAt) + 1;
        through = state.lastVersion;
    }

    /**
     * A carry-forward recorded the parked events at versions {@code old} (ascending) again, at
     * {@code first}, {@code first + 1}, ...: the replay under way goes on over the copies.
     */
    void moved(long[] old, long first) {
        if (active) {
            cursor = first + below(old, cursor);
            through = first + below(old, through + 1) - 1;
            moves++;
        }
    }

    private static int below(long[] sorted, long v) {
        int i = Arrays.binarySearch(sorted, v);
        return i >= 0 ? i : -i - 1;
    }

    /** A replayed event was settled. */
    void settled() {
        pending--;
    }

    /** Reads the next parked events when consumers have {@code room}; finishes the replay when all are settled. */
    void fetch(long room) {
        if (!active || fetching) {
            return;
        }
        if (cursor > through) {
            if (pending == 0) {
                finish();
            }
            return;
        }
        if (room <= 0) {
            return;
        }
        fetching = true;
        long from = cursor;
        int limit = (int) Math.min(PAGE, room);
        GroupSettings settings = state.settings;
        long last = through;
        int move = moves;
        store.readers().execute(() -> {
            List<Delivery> found = new ArrayList<>();
            long scanned = from - 1;
            for (RecordedEvent r : store.records(group.stream, from, PAGE)) {
                if (r.version() > last || found.size() >= limit) {
                    break;
                }
                scanned = r.version();
                if (GroupRecordDescriptor.decode(r.data()) instanceof GroupRecord.Parked p) {
                    try {
                        found.add(new Delivery(store.at(settings, p.offset()), p.offset(), true));
                    } catch (RuntimeException gone) {
                        // A parked event retention deleted (or one that cannot be read) is passed over.
                    }
                }
            }
            long read = scanned;
            thread.execute(() -> arrived(found, read, move));
        });
    }

    private void arrived(List<Delivery> found, long scanned, int move) {
        fetching = false;
        if (move != moves) { // read at versions a carry-forward has moved since: read the copies
            group.pump();
            return;
        }
        cursor = Math.max(cursor, scanned + 1);
        pending += found.size();
        for (Delivery d : found) {
            group.replayed(d);
        }
        group.pump();
    }

    private void finish() {
        active = false;
        long t = through;
        state.parks.removeThrough(t);
        state.replayedThrough = Math.max(state.replayedThrough, t);
        group.record(new GroupRecord.Replayed(t));
    }
}
