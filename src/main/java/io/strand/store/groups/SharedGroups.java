package io.strand.store.groups;

import io.strand.store.EventStore;
import io.strand.store.InvalidRequestException;
import io.strand.store.RecordedEvent;
import io.strand.store.StreamNames;
import io.strand.store.StreamNotFoundException;
import io.strand.store.SystemWriter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The shared groups (persistent subscriptions) of a store: created, changed and deleted through
 * their own streams ({@code $pg-<group>}, listed in {@code $pg}), loaded at open, and driven on one
 * "groups" thread that owns all their state (so no locks): the HTTP edge calls in, every answer is
 * a stage completed there (or once the group's record is flushed). A ticker on the same thread
 * expires deliveries past their ack timeout.
 */
public final class SharedGroups implements AutoCloseable {
    static final String REGISTRY = "$pg";
    static final String PREFIX = "$pg-";
    private static final long TICK_MILLIS = 200;
    private static final int SCAN_LIMIT = 10_000;
    private static final System.Logger LOG = System.getLogger(SharedGroups.class.getName());
    private final GroupStore store;
    private final ScheduledExecutorService thread;
    private final Executor onThread;
    private final Map<String, SharedGroup> groups = new TreeMap<>();
    /** The names in the registry {@code $pg}, each with the version of its latest entry there. */
    private final Map<String, Long> registered = new LinkedHashMap<>();
    private Runnable unhook = () -> { };
    private volatile List<GroupStatus> statuses = List.of();

    private final java.util.concurrent.ExecutorService readers;

    private SharedGroups(EventStore store, SystemWriter writer, Runnable onWriteFailure) {
        // Their own read threads: a group's source drains one task at a time, so the queue is bounded
        // by the number of groups, and a busy HTTP read pool never fails a group's source.
        this.readers = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread th = new Thread(r, "strand-group-read");
            th.setDaemon(true);
            return th;
        });
        this.store = new GroupStore(store, writer, readers, onWriteFailure);
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "strand-groups");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.thread = t;
        this.onThread = t::execute;
    }

    /** Loads every group from the store's log and starts them (one node: records appended to its own log). */
    public static SharedGroups open(EventStore store) {
        return open(store, store::appendSystem, () -> { });
    }

    /**
     * Loads every group from the store's log and starts them, their records appended through
     * {@code writer}; {@code onWriteFailure} is told (on any thread) when an append failed: in a
     * cluster the records' versions are then unknown here, and the groups must be opened again.
     */
    public static SharedGroups open(EventStore store, SystemWriter writer, Runnable onWriteFailure) {
        SharedGroups g = new SharedGroups(store, writer, onWriteFailure);
        try {
            g.thread.submit(g::load).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading shared groups", e);
        } catch (ExecutionException e) {
            g.thread.shutdownNow();
            g.readers.shutdownNow();
            throw new IllegalStateException("shared groups failed to load: " + e.getCause(), e.getCause());
        }
        g.thread.scheduleWithFixedDelay(g::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        g.unhook = g.store.onRetention(g::carryForward);
        return g;
    }

    static String stream(String group) {
        return PREFIX + group;
    }

    private void load() {
        for (long v = -1; ; ) { // from the first held: retention may have deleted the oldest entries
            List<RecordedEvent> page = store.records(REGISTRY, v, 1000);
            for (RecordedEvent e : page) {
                registered.put(new String(e.data(), StandardCharsets.UTF_8), e.version());
                v = e.version() + 1;
            }
            if (page.size() < 1000) {
                break;
            }
        }
        for (String name : registered.keySet()) {
            try {
                loadGroup(name);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "shared group " + name + " cannot be loaded: skipped", e);
            }
        }
    }

    /**
     * Rebuilds the group from its stream's held records, from the first settings record (older ones,
     * if held, are of an earlier group of the name or were carried forward: {@link GroupCarry}).
     */
    private void loadGroup(String name) {
        GroupState state = null;
        GroupRecord last = null;
        for (long v = -1; ; ) {
            List<RecordedEvent> page = store.records(stream(name), v, 1000);
            for (RecordedEvent e : page) {
                GroupRecord r = GroupRecordDescriptor.decode(e.data());
                last = r;
                v = e.version() + 1;
                if (state == null) {
                    if (!(r instanceof GroupRecord.Settings s)) {
                        continue;
                    }
                    state = new GroupState(s.settings(), e.version());
                }
                state.apply(e.version(), r);
            }
            if (page.size() < 1000) {
                break;
            }
        }
        if (state == null) {
            if (last != null && !(last instanceof GroupRecord.Deleted)) {
                LOG.log(System.Logger.Level.ERROR, "shared group " + name + ": the held records of " + stream(name)
                        + " cannot rebuild it (no settings held; retention deleted them?): skipped");
            }
            return;
        }
        if (!state.deleted) {
            SharedGroup g = new SharedGroup(name, state, store, onThread);
            groups.put(name, g);
            g.start();
        }
    }

    /** Before retention deletes the log below {@code cut}: {@link GroupCarry#forward}, on retention's thread, until flushed. */
    private void carryForward(long cut) {
        try {
            call(() -> GroupCarry.forward(cut, groups, registered, store)).toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while carrying shared groups forward", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("carrying shared groups forward failed: " + e.getCause(), e.getCause());
        }
    }

    /** Creates the group (true) or changes its delivery settings (false); its source and filter cannot change. */
    public CompletionStage<Boolean> put(String name, GroupSettings settings) {
        return call(() -> {
            StreamNames.check("group", name);
            SharedGroup g = groups.get(name);
            if (g != null) {
                GroupSettings old = g.settings();
                if (!old.stream().equals(settings.stream()) || !old.types().equals(settings.types())
                        || !old.streamPrefixes().equals(settings.streamPrefixes())) {
                    throw new InvalidRequestException("group " + name + " reads " + old.stream()
                            + (old.types().isEmpty() && old.streamPrefixes().isEmpty() ? "" : " filtered")
                            + "; its source and filter cannot change: delete the group and create it again");
                }
                GroupSettings updated = settings.from(old.from());
                return g.record(new GroupRecord.Settings(updated)).thenApply(o -> {
                    onThread.execute(() -> g.update(updated));
                    return false;
                });
            }
            GroupSettings resolved = settings.from(resolve(settings));
            GroupState state = new GroupState(resolved, store.nextVersion(stream(name)));
            SharedGroup created = new SharedGroup(name, state, store, onThread);
            groups.put(name, created);
            CompletionStage<?> listed = CompletableFuture.completedFuture(null);
            if (!registered.containsKey(name)) {
                registered.put(name, store.nextVersion(REGISTRY));
                listed = store.append(REGISTRY, name.getBytes(StandardCharsets.UTF_8));
            }
            CompletionStage<?> recorded = created.record(new GroupRecord.Settings(resolved));
            created.start();
            return listed.thenCombine(recorded, (a, b) -> true);
        });
    }

    /** Deletes the group: its consumers are ended, and it is forgotten. */
    public CompletionStage<Void> delete(String name) {
        return call(() -> {
            SharedGroup g = existing(name);
            groups.remove(name);
            g.delete("group " + name + " was deleted");
            return g.record(new GroupRecord.Deleted()).thenApply(o -> null);
        });
    }

    public CompletionStage<List<GroupStatus>> list() {
        return call(() -> {
            List<GroupStatus> out = new ArrayList<>(groups.size());
            for (SharedGroup g : groups.values()) {
                out.add(g.status());
            }
            return CompletableFuture.completedFuture(out);
        });
    }

    public CompletionStage<GroupStatus> status(String name) {
        return call(() -> CompletableFuture.completedFuture(existing(name).status()));
    }

    /** Attaches a consumer; {@link #detach} when its connection closes. */
    public CompletionStage<GroupMember> attach(String name, GroupConsumer consumer) {
        return call(() -> CompletableFuture.completedFuture(existing(name).attach(consumer)));
    }

    /** Detaches what {@link #attach} gave: what the consumer held goes to the others. */
    public void detach(String name, GroupMember member) {
        try {
            onThread.execute(() -> {
                SharedGroup g = groups.get(name);
                if (g != null) {
                    g.detach(member);
                }
            });
        } catch (RuntimeException stopped) {
            // the groups are closed: nothing to give back
        }
    }

    /** Settles deliveries; answered once recorded. {@link UnknownDeliveryException} when one id is not in flight (nothing settled). */
    public CompletionStage<Void> ack(String name, List<UUID> ids) {
        return call(() -> existing(name).ack(ids));
    }

    public CompletionStage<Void> nack(String name, List<UUID> ids, NackAction action) {
        return call(() -> existing(name).nack(ids, action));
    }

    public CompletionStage<Void> replayParked(String name) {
        return call(() -> existing(name).replayParked());
    }

    /** A page of the group's parked events, from cursor {@code from} (0: the first); reads the log on the read executor. */
    public CompletionStage<ParkedPage> parked(String name, long from, int limit) {
        return call(() -> {
            SharedGroup g = existing(name);
            GroupState s = g.state();
            long start = Math.max(from, Math.max(s.replayedThrough, s.createdAt) + 1);
            GroupSettings settings = s.settings;
            CompletableFuture<ParkedPage> page = new CompletableFuture<>();
            store.readers().execute(() -> {
                try {
                    page.complete(scanParked(g.stream, settings, start, limit));
                } catch (RuntimeException e) {
                    page.completeExceptionally(e);
                }
            });
            return page;
        });
    }

    private ParkedPage scanParked(String stream, GroupSettings settings, long start, int limit) {
        List<RecordedEvent> events = new ArrayList<>();
        long v = start;
        for (long scanned = 0; events.size() < limit && scanned < SCAN_LIMIT; ) {
            List<RecordedEvent> records = store.records(stream, v, 256);
            if (records.isEmpty()) {
                return new ParkedPage(events, -1);
            }
            for (RecordedEvent r : records) {
                v = r.version() + 1;
                scanned++;
                if (GroupRecordDescriptor.decode(r.data()) instanceof GroupRecord.Parked p) {
                    try {
                        events.add(store.at(settings, p.offset()));
                    } catch (RuntimeException gone) {
                        // deleted by retention since: not listed
                    }
                    if (events.size() >= limit) {
                        break;
                    }
                }
            }
        }
        return new ParkedPage(events, store.records(stream, v, 1).isEmpty() ? -1 : v);
    }

    /** {@link GroupState#describe()} of the group (tests). */
    CompletionStage<String> describe(String name) {
        return call(() -> CompletableFuture.completedFuture(existing(name).state().describe()));
    }

    /** The groups' figures, refreshed every second (for metrics). */
    public List<GroupStatus> statuses() {
        return statuses;
    }

    @Override
    public void close() {
        close("the server is stopping");
    }

    /** Stops the groups: their consumers are ended, told {@code why}; their state stays in the log. */
    public void close(String why) {
        unhook.run();
        try {
            thread.submit(() -> {
                for (SharedGroup g : groups.values()) {
                    g.delete(why);
                }
                groups.clear();
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // stopping anyway
        }
        thread.shutdownNow();
        readers.shutdownNow();
    }

    private long ticks;

    private void tick() {
        long now = System.currentTimeMillis();
        for (SharedGroup g : groups.values()) {
            g.expire(now);
        }
        if (ticks++ % 5 == 0) {
            List<GroupStatus> out = new ArrayList<>(groups.size());
            for (SharedGroup g : groups.values()) {
                out.add(g.status());
            }
            statuses = out;
        }
    }

    private long resolve(GroupSettings s) {
        if (s.from() == GroupSettings.START) {
            return 0;
        }
        if (s.from() == GroupSettings.END) {
            return store.end(s);
        }
        if (s.all()) {
            store.checkRecordBoundary(s.from());
        }
        return s.from();
    }

    private SharedGroup existing(String name) {
        SharedGroup g = groups.get(name);
        if (g == null) {
            throw new GroupNotFoundException(name);
        }
        return g;
    }

    /** Runs {@code work} on the groups thread; its exceptions fail the stage. */
    private <T> CompletionStage<T> call(Supplier<CompletionStage<T>> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            onThread.execute(() -> {
                try {
                    work.get().whenComplete((v, e) -> {
                        if (e != null) {
                            result.completeExceptionally(e);
                        } else {
                            result.complete(v);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            result.completeExceptionally(new io.strand.store.StoreUnavailableException(
                    "the shared groups are closed here (the server is stopping, or another node leads them now); retry", 1));
        }
        return result;
    }
}
