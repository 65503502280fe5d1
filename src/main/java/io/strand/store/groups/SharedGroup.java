package io.strand.store.groups;

import io.strand.store.AppendOutcome;
import io.strand.store.RecordedEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;

/**
 * One shared group: reads its source on demand and hands each event to one attached consumer at a
 * time, at most {@code maxInFlight} unsettled per consumer; takes acks and nacks, delivers again
 * what times out or what a leaving consumer held, parks what failed {@code maxDeliveries} times.
 *
 * <p>What is settled (acked, skipped or parked) is recorded in the group's own stream
 * ({@link GroupRecord}) before the ack is answered, with the group's resume point: every offset
 * below it is settled, so after a restart the source is read again from there and the settled
 * offsets above it are skipped. Nothing acked is delivered again; everything unsettled is. The
 * source is read only as fast as consumers have room (demand), so a group holds at most its
 * consumers' in-flight events in memory, whatever its lag.
 *
 * <p>Confined to the groups thread: every method but the source's callbacks runs there.
 */
final class SharedGroup {
    private static final System.Logger LOG = System.getLogger(SharedGroup.class.getName());
    /** Parked records per append at most (about 130 bytes each in the log). */
    static final int PARK_BATCH = 1000;
    final String name;
    final String stream;
    private final GroupStore store;
    private final Executor thread;
    private final GroupState state;
    private final GroupReplay replay;
    private final TreeSet<Long> outstanding = new TreeSet<>();
    private final TreeMap<Long, Delivery> ready = new TreeMap<>();
    private final Map<UUID, Delivery> inFlight = new HashMap<>();
    private final GroupMembers members = new GroupMembers();
    private Flow.Subscription source;
    private long requested;
    private long lastRead = -1;
    private boolean deleted;
    private long delivered;
    private long acked;
    private long redeliveries;

    SharedGroup(String name, GroupState state, GroupStore store, Executor thread) {
        this.name = name;
        this.stream = SharedGroups.stream(name);
        this.state = state;
        this.store = store;
        this.thread = thread;
        this.replay = new GroupReplay(this, state, store, thread);
    }

    GroupSettings settings() {
        return state.settings;
    }

    GroupState state() {
        return state;
    }

    /** Starts reading the source at the resume point (reads begin once consumers ask). */
    void start() {
        store.source(state.settings, state.resume).subscribe().withSubscriber(new GroupSource(this, state.settings.filter(), thread));
    }

    /** The source subscribed (on the groups thread). */
    void sourceReady(Flow.Subscription s) {
        source = s;
        if (deleted) {
            s.cancel();
        } else {
            pump();
        }
    }

    /** The source ended (the store stops) or failed (logged by it): nothing more is read. */
    void sourceEnded() {
        source = null;
    }

    void update(GroupSettings settings) {
        state.settings = settings;
        pump();
    }

    GroupMember attach(GroupConsumer consumer) {
        GroupMember m = new GroupMember(consumer);
        members.all.add(m);
        pump();
        return m;
    }

    /** The member left (its connection closed): what it held goes to the others now. */
    void detach(GroupMember m) {
        if (m.detached) {
            return;
        }
        m.detached = true;
        members.all.remove(m);
        for (Iterator<Delivery> it = inFlight.values().iterator(); it.hasNext(); ) {
            Delivery d = it.next();
            if (d.owner == m) {
                it.remove();
                release(d);
                ready.put(d.offset(), d);
            }
        }
        pump();
    }

    CompletionStage<Void> ack(List<UUID> ids) {
        List<Delivery> ds;
        try {
            ds = take(ids);
        } catch (UnknownDeliveryException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<Long> offsets = new ArrayList<>(ds.size());
        for (Delivery d : ds) {
            acked++;
            settle(d, offsets);
        }
        pump();
        return recordSettled(offsets);
    }

    CompletionStage<Void> nack(List<UUID> ids, NackAction action) {
        List<Delivery> ds;
        try {
            ds = take(ids);
        } catch (UnknownDeliveryException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<Long> offsets = new ArrayList<>();
        List<Delivery> parked = new ArrayList<>();
        for (Delivery d : ds) {
            if (action == NackAction.SKIP) {
                settle(d, offsets);
            } else if (action == NackAction.PARK || d.attempt() >= state.settings.maxDeliveries()) {
                parked.add(d);
            } else {
                ready.put(d.offset(), d);
            }
        }
        CompletionStage<?> recorded = park(parked);
        pump();
        return CompletableFuture.allOf(recordSettled(offsets).toCompletableFuture(), recorded.toCompletableFuture());
    }

    /** Every delivery not settled within its ack timeout goes back (or is parked after its last attempt). */
    void expire(long now) {
        boolean any = false;
        List<Delivery> parked = new ArrayList<>();
        for (Iterator<Delivery> it = inFlight.values().iterator(); it.hasNext(); ) {
            Delivery d = it.next();
            if (d.deadline <= now) {
                it.remove();
                release(d);
                any = true;
                if (d.attempt() >= state.settings.maxDeliveries()) {
                    parked.add(d);
                } else {
                    ready.put(d.offset(), d);
                }
            }
        }
        if (any) {
            park(parked);
            pump();
        }
    }

    CompletionStage<Void> replayParked() {
        replay.begin();
        pump();
        return CompletableFuture.completedFuture(null);
    }

    void delete(String why) {
        deleted = true;
        if (source != null) {
            source.cancel();
        }
        for (GroupMember m : List.copyOf(members.all)) {
            m.detached = true;
            m.consumer.end(why);
        }
        members.all.clear();
        inFlight.clear();
        ready.clear();
    }

    GroupStatus status() {
        // From the first offset not settled: the first outstanding one, else past the last one read
        // (or, before anything was read since the start, past the resume point if that is settled).
        long from = !outstanding.isEmpty() ? outstanding.first()
                : lastRead >= 0 ? lastRead + 1 : state.resume + (state.settled.contains(state.resume) ? 1 : 0);
        long lag = Math.max(0, store.end(state.settings) - from);
        return new GroupStatus(name, state.settings, members.all.size(), inFlight.size(), state.parks.size(), lag,
                delivered, acked, redeliveries);
    }

    // ---------------------------------------------------------------- internals

    /** Hands out what can go now, then asks the source for as many events as consumers have room for. */
    void pump() {
        if (deleted) {
            return;
        }
        dispatch();
        long room = members.room(state.settings.maxInFlight()) - ready.size();
        replay.fetch(room);
        long want = room - requested;
        if (want > 0 && source != null) {
            requested += want;
            source.request(want);
        }
    }

    /** A replayed parked event, ready to go. */
    void replayed(Delivery d) {
        ready.put(d.offset(), d);
    }

    private void dispatch() {
        if (members.all.isEmpty() || ready.isEmpty()) {
            return;
        }
        boolean pinned = state.settings.strategy() == GroupSettings.Strategy.PINNED;
        Set<String> blocked = new HashSet<>();
        for (Iterator<Delivery> it = ready.values().iterator(); it.hasNext(); ) {
            Delivery d = it.next();
            if (inFlight.containsKey(d.event().id())) {
                continue; // an id reused by another stream is in flight: one at a time
            }
            GroupMember m = members.choose(d.event().stream(), state.settings, blocked);
            if (m == null) {
                if (!pinned) {
                    return;
                }
                continue;
            }
            it.remove();
            send(d, m);
        }
    }

    private void send(Delivery d, GroupMember m) {
        d.delivered();
        d.deadline = System.currentTimeMillis() + state.settings.ackTimeoutSeconds() * 1000L;
        members.sent(d, m);
        inFlight.put(d.event().id(), d);
        delivered++;
        if (d.attempt() > 1) {
            redeliveries++;
        }
        m.consumer.deliver(d);
    }

    private void release(Delivery d) {
        members.released(d);
    }

    /** The deliveries in flight with these ids, taken out; {@link UnknownDeliveryException} (nothing taken) when one is not. */
    private List<Delivery> take(List<UUID> ids) {
        Set<UUID> distinct = new LinkedHashSet<>(ids);
        List<UUID> unknown = new ArrayList<>();
        for (UUID id : distinct) {
            if (!inFlight.containsKey(id)) {
                unknown.add(id);
            }
        }
        if (!unknown.isEmpty()) {
            throw new UnknownDeliveryException(name, unknown);
        }
        List<Delivery> out = new ArrayList<>(distinct.size());
        for (UUID id : distinct) {
            Delivery d = inFlight.remove(id);
            release(d);
            out.add(d);
        }
        return out;
    }

    /** Marks {@code d} settled (acked or skipped); its offset goes to {@code offsets} to be recorded. */
    private void settle(Delivery d, List<Long> offsets) {
        if (d.replay) {
            replay.settled();
            return;
        }
        outstanding.remove(d.offset());
        state.settled.add(d.offset());
        offsets.add(d.offset());
        advance();
    }

    /**
     * Parks {@code ds}, their records appended together, up to {@link #PARK_BATCH} per append: a nack of
     * thousands of ids, one append each, would overload the log's queue of appends waiting for their flush.
     */
    private CompletionStage<?> park(List<Delivery> ds) {
        List<GroupRecord> records = new ArrayList<>(ds.size());
        for (Delivery d : ds) {
            if (d.replay) {
                replay.settled();
            } else {
                outstanding.remove(d.offset());
                state.settled.add(d.offset());
                advance();
            }
            records.add(new GroupRecord.Parked(state.resume, d.offset(), d.event().id()));
        }
        int per = Math.max(1, Math.min(PARK_BATCH, store.maxBatchBytes() / 2 / 512)); // a parked record frames to < 512 B
        CompletableFuture<?>[] appends = new CompletableFuture<?>[(records.size() + per - 1) / per];
        for (int i = 0; i < appends.length; i++) {
            List<GroupRecord> batch = records.subList(i * per, Math.min(records.size(), (i + 1) * per));
            // Listed now, at the versions their records get (appends go out from here, in order): a carry-forward copies them.
            long version = store.nextVersion(stream);
            for (GroupRecord r : batch) {
                GroupRecord.Parked p = (GroupRecord.Parked) r;
                state.parks.add(version++, p.offset(), p.id());
            }
            appends[i] = record(batch).toCompletableFuture();
        }
        return CompletableFuture.allOf(appends);
    }

    /** The resume point: the first offset not settled, or the last one read when all are. */
    private void advance() {
        long resume = outstanding.isEmpty() ? Math.max(state.resume, lastRead) : outstanding.first();
        state.resume = Math.max(state.resume, resume);
        state.settled.headSet(state.resume).clear();
    }

    private CompletionStage<Void> recordSettled(List<Long> offsets) {
        if (offsets.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long[] o = offsets.stream().mapToLong(Long::longValue).toArray();
        return record(new GroupRecord.Settled(state.resume, o)).thenApply(x -> null);
    }

    /** Appends again what rebuilds this group, its records below the cut about to go (see {@link GroupCarry}). */
    CompletionStage<Void> carryForward() {
        return GroupCarry.carry(stream, state, store, replay, thread);
    }

    CompletionStage<AppendOutcome> record(GroupRecord r) {
        if (r instanceof GroupRecord.Settings s) {
            state.latest = s.settings(); // applied once flushed, copied by a carry-forward at once
        }
        return record(List.of(r));
    }

    /** Appends records to the group's stream, in one append (consecutive versions). */
    CompletionStage<AppendOutcome> record(List<GroupRecord> rs) {
        return store.appendAll(stream, rs.stream().map(GroupRecordDescriptor::encode).toList()).whenComplete((o, e) -> {
            if (e != null) {
                LOG.log(System.Logger.Level.ERROR, "shared group " + name + ": recording " + rs.size() + " "
                        + rs.get(0).getClass().getSimpleName() + " record(s) failed", e);
            } else {
                thread.execute(() -> state.lastVersion = Math.max(state.lastVersion, o.lastVersion()));
            }
        });
    }

    /** An event of the source (on the groups thread). */
    void received(RecordedEvent e) {
        requested--;
        if (deleted) {
            return;
        }
        long offset = state.settings.all() ? e.position() : e.version();
        lastRead = Math.max(lastRead, offset);
        if (offset < state.resume || state.settled.contains(offset)) {
            advance();
            pump(); // settled before a restart: skipped, and another is asked for
            return;
        }
        outstanding.add(offset);
        ready.put(offset, new Delivery(e, offset, false));
        pump();
    }
}
