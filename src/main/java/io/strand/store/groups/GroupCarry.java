package io.strand.store.groups;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A shared group's carry-forward (as {@code ConsumerGroups.carryForward} for consumer groups): before
 * retention deletes the segments holding the records a group is rebuilt from, the group appends
 * again, to its own stream, at versions {@code B, B + 1, ...}:
 * <ol>
 *   <li>its settings (the same resolved {@code from}): a group that is not deleted only takes them,
 *       and one whose older records are gone starts there at the next open;
 *   <li>one or more {@code settled} records: its resume point and the settled offsets above it;
 *   <li>a {@code parked} record for each parked event not yet replayed, in order;
 *   <li>{@code replayed} through {@code B - 1}: the older parked records (those still held) count no
 *       more, only the copies do.
 * </ol>
 * Rebuilt from the copies alone, or from whatever older records are still held followed by the copies,
 * the group's state is the one it had (resume, settled offsets, parked list and replay window). The
 * records go in as few batches as fit ({@link GroupStore#maxBatchBytes()}): usually one, atomic. The
 * group's state in memory is moved to the copies at once (its parked versions, {@code createdAt} and
 * {@code replayedThrough} as a load would give them, and a replay under way). Groups thread only.
 */
final class GroupCarry {
    private static final int SETTLED_CHUNK = 1024;
    private static final int OVERHEAD = 256; // a record's framing, its id, type and stream name, generously

    private GroupCarry() {
    }

    static CompletionStage<Void> carry(String stream, GroupState state, GroupStore store, GroupReplay replay,
                                       Executor thread) {
        long base = store.nextVersion(stream); // every append to the stream goes out on this thread, in order
        List<GroupRecord> records = new ArrayList<>();
        records.add(new GroupRecord.Settings(state.latest));
        long[] settled = state.settled.stream().mapToLong(Long::longValue).toArray();
        int i = 0;
        do {
            int n = Math.min(SETTLED_CHUNK, settled.length - i);
            records.add(new GroupRecord.Settled(state.resume, Arrays.copyOfRange(settled, i, i + n)));
            i += n;
        } while (i < settled.length);
        long firstCopy = base + records.size();
        int parked = state.parks.size();
        long[] old = new long[parked];
        long[] offsets = new long[parked];
        UUID[] ids = new UUID[parked];
        for (int p = 0; p < parked; p++) {
            old[p] = state.parks.version(p);
            offsets[p] = state.parks.offset(p);
            ids[p] = state.parks.id(p);
            records.add(new GroupRecord.Parked(state.resume, offsets[p], ids[p]));
        }
        records.add(new GroupRecord.Replayed(base - 1));

        state.parks.clear();
        for (int p = 0; p < parked; p++) {
            state.parks.add(firstCopy + p, offsets[p], ids[p]);
        }
        state.createdAt = base;
        state.replayedThrough = base;
        replay.moved(old, firstCopy);
        return append(stream, records, store, state, thread);
    }

    /**
     * Every group rebuilt from records below {@code cut} appends them again ({@link #carry}), every
     * group listed in {@code $pg} below it lists itself again; a deleted group's entry is dropped
     * from {@code registered} (name: version of its entry), so a group of the name created later
     * lists itself anew. The stage completes once all is flushed.
     */
    static CompletionStage<Void> forward(long cut, Map<String, SharedGroup> groups, Map<String, Long> registered,
                                         GroupStore store) {
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (SharedGroup g : groups.values()) {
            if (store.position(g.stream, g.state().createdAt) < cut) {
                pending.add(g.carryForward().toCompletableFuture());
            }
        }
        for (Iterator<Map.Entry<String, Long>> it = registered.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> e = it.next();
            if (store.position(SharedGroups.REGISTRY, e.getValue()) >= cut) {
                continue;
            }
            if (groups.containsKey(e.getKey())) {
                e.setValue(store.nextVersion(SharedGroups.REGISTRY));
                pending.add(store.append(SharedGroups.REGISTRY, e.getKey().getBytes(StandardCharsets.UTF_8))
                        .toCompletableFuture());
            } else {
                it.remove();
            }
        }
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]));
    }

    private static CompletionStage<Void> append(String stream, List<GroupRecord> records, GroupStore store,
                                                GroupState state, Executor thread) {
        int budget = store.maxBatchBytes() / 2;
        int overhead = OVERHEAD + stream.length() * 4;
        List<CompletableFuture<?>> batches = new ArrayList<>();
        List<byte[]> batch = new ArrayList<>();
        int bytes = 0;
        for (GroupRecord r : records) {
            byte[] data = GroupRecordDescriptor.encode(r);
            if (!batch.isEmpty() && bytes + data.length + overhead > budget) {
                batches.add(send(stream, batch, store, state, thread));
                batch = new ArrayList<>();
                bytes = 0;
            }
            batch.add(data);
            bytes += data.length + overhead;
        }
        batches.add(send(stream, batch, store, state, thread));
        return CompletableFuture.allOf(batches.toArray(new CompletableFuture<?>[0]));
    }

    private static CompletableFuture<Void> send(String stream, List<byte[]> batch, GroupStore store, GroupState state,
                                                Executor thread) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        store.appendAll(stream, batch).whenComplete((o, e) -> {
            if (e != null) {
                done.completeExceptionally(e);
                return;
            }
            try {
                thread.execute(() -> {
                    state.lastVersion = Math.max(state.lastVersion, o.lastVersion());
                    done.complete(null);
                });
            } catch (RuntimeException closed) {
                done.complete(null); // the groups are closed: flushed is all that is waited for
            }
        });
        return done;
    }
}
