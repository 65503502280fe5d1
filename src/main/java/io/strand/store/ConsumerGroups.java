package io.strand.store;

import io.strand.index.StreamEntry;
import io.strand.log.Durability;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Consumer-group positions, stored through the log (like Kafka's {@code __consumer_offsets}): each
 * commit is a flushed event of the store's own stream {@code $groups}, and the latest position per
 * (group, stream) is kept in memory, rebuilt from that stream at open. Event data, little-endian:
 * {@code u16 group length, group, u16 stream length, stream, i64 version}.
 *
 * <p>Commits are appended under this object's lock with fresh random ids and no repeat check
 * ({@link EventStore#appendFresh}), so they reach the log in the order they were made: the last
 * commit of a (group, stream) in the log is the last one made, which is what {@link #load} restores.
 */
final class ConsumerGroups {
    static final String EVENT_TYPE = "group-committed";

    private final EventStore store;
    /** "group/stream" (neither name can hold '/') -> {version, log position of the commit}. */
    private final ConcurrentHashMap<String, long[]> positions = new ConcurrentHashMap<>();
    /** The latest version asked for per key, in log order (commits append under this object's lock). */
    private final ConcurrentHashMap<String, Long> requested = new ConcurrentHashMap<>();

    /** Ids of commit events: random, so never checked for repeats (tests may make them collide). */
    java.util.function.Supplier<UUID> ids = UUID::randomUUID;

    ConsumerGroups(EventStore store) {
        this.store = store;
    }

    void load() {
        StreamEntry s = store.index().catalog().get(EventStore.GROUPS_STREAM);
        if (s == null) {
            return;
        }
        long last = store.index().lastVersion(s);
        for (long v = store.index().firstVersion(s); v <= last; v++) {
            RecordedEvent e = store.readAt(s.position(v));
            ByteBuffer b = ByteBuffer.wrap(e.data()).order(ByteOrder.LITTLE_ENDIAN);
            String group = string(b);
            String stream = string(b);
            long version = b.getLong();
            apply(group, stream, version, e.position());
            requested.put(group + '/' + stream, version);
        }
    }

    synchronized CompletionStage<Void> commit(String group, String stream, long version) {
        try {
            StreamNames.check("group", group);
            StreamNames.check("stream", stream);
            if (version < -1) {
                throw new IllegalArgumentException("a group's version is -1 (nothing consumed) or more: " + version);
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        byte[] g = group.getBytes(StandardCharsets.UTF_8);
        byte[] st = stream.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(4 + g.length + st.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) g.length).put(g).putShort((short) st.length).put(st).putLong(version);
        NewEvent event = new NewEvent(ids.get(), EVENT_TYPE, data.array(), null, true);
        requested.put(group + '/' + stream, version);
        // Fresh ids, no repeat check: a fingerprint that happened to match would send the commit down
        // the retry path, out of this lock's order, and an older version could be logged after a newer.
        return store.appendFresh(EventStore.GROUPS_STREAM, List.of(event), Durability.FLUSHED)
                .thenApply(o -> {
                    apply(group, stream, version, o.position());
                    return null;
                });
    }

    /**
     * Appends again every group position last committed below {@code cut}, so that retention can
     * delete those segments without losing a group's position (log compaction by rewriting, as
     * Kafka compacts {@code __consumer_offsets}). Waits until the new commits are flushed.
     */
    synchronized void carryForward(long cut) {
        List<java.util.concurrent.CompletableFuture<Void>> pending = new java.util.ArrayList<>();
        for (var e : positions.entrySet()) {
            long[] p = e.getValue();
            if (p[1] < cut) {
                String key = e.getKey();
                int slash = key.indexOf('/');
                pending.add(commit(key.substring(0, slash), key.substring(slash + 1), requested.getOrDefault(key, p[0]))
                        .toCompletableFuture());
            }
        }
        for (var f : pending) {
            f.join();
        }
    }

    OptionalLong version(String group, String stream) {
        long[] p = positions.get(group + '/' + stream);
        return p == null ? OptionalLong.empty() : OptionalLong.of(p[0]);
    }

    private void apply(String group, String stream, long version, long position) {
        // Commits complete in log order, but keep the later one should two race here.
        positions.merge(group + '/' + stream, new long[]{version, position}, (old, neu) -> neu[1] > old[1] ? neu : old);
    }

    private static String string(ByteBuffer b) {
        byte[] bytes = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
