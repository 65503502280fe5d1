package io.strand.store;

import io.strand.index.StreamIndex;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Consumer-group positions, stored through the log (like Kafka's {@code __consumer_offsets}): each
 * commit is a flushed event of the store's own stream {@code $groups} (data laid out by
 * {@link GroupCommitDescriptor}), and the latest position per (group, stream) is kept in memory,
 * rebuilt from that stream at open.
 *
 * <p>Commits are appended under this object's lock with fresh random ids and no repeat check
 * ({@link Appends}), so they reach the log in the order they were made: the last commit of a
 * (group, stream) in the log is the last one made, which is what {@link #load} restores.
 * Thread-safe. Apart from the append and read paths, which it uses only through {@link Appends}
 * and the read-only index.
 */
final class ConsumerGroups {
    static final String STREAM = "$groups";
    static final String EVENT_TYPE = "group-committed";

    /** What the groups need of the append path: append one fresh-id event to {@code $groups}, flushed. */
    @FunctionalInterface
    interface Appends {
        CompletionStage<AppendOutcome> appendFlushed(NewEvent event);
    }

    private final StreamIndex index;
    private final RecordReader records;
    private final Appends appends;
    /** "group/stream" (neither name can hold '/') -> {version, log position of the commit}. */
    private final ConcurrentHashMap<String, long[]> positions = new ConcurrentHashMap<>();
    /** The latest version asked for per key, in log order (commits append under this object's lock). */
    private final ConcurrentHashMap<String, Long> requested = new ConcurrentHashMap<>();

    /** Ids of commit events: random, so never checked for repeats (tests may make them collide). */
    Supplier<UUID> ids = UUID::randomUUID;

    ConsumerGroups(StreamIndex index, RecordReader records, Appends appends) {
        this.index = index;
        this.records = records;
        this.appends = appends;
    }

    /** Reads every commit {@code $groups} still holds, in log order (at open). */
    void load() {
        // A corrupt commit is skipped: the group falls back to its previous commit and its consumers
        // read again from there (at-least-once).
        SystemStream.forEach(index, records, STREAM, e -> {
            ByteBuffer b = ByteBuffer.wrap(e.data());
            int format = GroupCommitDescriptor.check(b);
            if (format < 0) {
                throw new IllegalStateException("bad consumer-group commit: position=" + e.position() + ", version=" + e.version()
                        + ", found=" + GroupCommitDescriptor.describe(format));
            }
            String group = GroupCommitDescriptor.group(b, format);
            String stream = GroupCommitDescriptor.stream(b, format);
            long version = GroupCommitDescriptor.version(b, format);
            apply(group, stream, version, e.position());
            requested.put(group + '/' + stream, version);
        });
    }

    synchronized CompletionStage<Void> commit(String group, String stream, long version) {
        return commit(group, stream, version, ids.get(), appends);
    }

    /** Validates a commit without making it (the cluster checks before it replicates). */
    static void check(String group, String stream, long version) {
        StreamNames.check("group", group);
        StreamNames.check("stream", stream);
        if (version < -1) {
            throw new InvalidRequestException("a group's version is -1 (nothing consumed) or more: version=" + version);
        }
    }

    /** A commit with event id {@code id}, appended through {@code via} (a replicated apply passes its own). */
    synchronized CompletionStage<Void> commit(String group, String stream, long version, UUID id, Appends via) {
        try {
            check(group, stream, version);
        } catch (InvalidRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
        NewEvent event = new NewEvent(id, EVENT_TYPE, GroupCommitDescriptor.encode(group, stream, version),
                null, true);
        requested.put(group + '/' + stream, version);
        // Fresh ids, no repeat check: a fingerprint that happened to match would send the commit down
        // the retry path, out of this lock's order, and an older version could be logged after a newer.
        return via.appendFlushed(event).thenApply(o -> {
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
        List<CompletableFuture<Void>> pending = new ArrayList<>();
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
}
