package io.strand.store;

import io.strand.index.StreamCatalog;
import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;
import io.strand.log.AppendResult;
import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.EventRecord;
import io.strand.log.LogAppend;
import io.strand.log.LogException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Append sequencing: validates a batch, and under its stream's monitor runs the repeat check,
 * the expected-version check, takes the next versions, hands the batch to the log and records
 * where it went in the index, so the next append of the stream sees the new versions. Appends to
 * one stream are serialised by the monitor; appends to different streams meet only in the log's
 * short append lock.
 *
 * <p>A version conflict names only a committed (readable) version: when the expected version
 * matches the committed version but not the versions given to in-flight appends, the answer waits
 * for those appends and the append runs again (on the {@link Notifier}, never on the commit
 * thread). Re-runs after a repeat candidate go to the notifier or the cold-reads executor.
 *
 * <p>Thread-safe. The common append allocates its records, the log's stage and one completion
 * object (which is also the notice the {@link Notifier} delivers to the stream's subscribers):
 * nothing per event beyond the records. Apart from the readers because it is the only writer of
 * streams, and from {@link RepeatDetector} because that reads the log.
 */
final class Appender {
    /** The timestamp argument that means "the clock's, at append". */
    static final long NOW = Long.MIN_VALUE;
    private final CommitLog log;
    private final StreamIndex index;
    private final StreamCatalog catalog;
    private final Durability defaultDurability;
    private final Notifier notifier;
    private final StreamWaiters waiters;
    private final RepeatCheck readHere;
    private final RepeatCheck readCold;
    /** The two above for appends of server-made ids, made once (not a wrapper per append). */
    private final RepeatCheck readHereFirstId;
    private final RepeatCheck readColdFirstId;
    private final Executor onNotifier;
    private final long dedupWindowMillis;
    private final LongAdder appendedEvents = new LongAdder();
    private final LongAdder appendedBytes = new LongAdder();
    private final StreamLifecycle lifecycle;
    private volatile boolean refusing;

    Appender(CommitLog log, StreamIndex index, Notifier notifier, StreamWaiters waiters, long dedupWindowMillis,
             StreamLifecycle lifecycle) {
        this.dedupWindowMillis = dedupWindowMillis;
        this.lifecycle = lifecycle;
        this.log = log;
        this.index = index;
        this.catalog = index.catalog();
        this.defaultDurability = log.config().flushMode().defaultDurability();
        this.notifier = notifier;
        this.waiters = waiters;
        this.readHere = new RepeatDetector(log, index, true);
        this.readCold = new RepeatDetector(log, index, false);
        this.readHereFirstId = RepeatCheck.firstIdDecides(readHere);
        this.readColdFirstId = RepeatCheck.firstIdDecides(readCold);
        this.onNotifier = notifier::execute;
    }

    /**
     * A client's append (see {@link EventStore#append(String, List, long, Durability, Executor)}):
     * candidates of the repeat check are read here when {@code coldReads} is null, else on it.
     */
    CompletionStage<AppendOutcome> append(String stream, List<NewEvent> events, long expectedVersion,
                                          Durability durability, Executor coldReads, boolean freshIds) {
        EventRecord[] records;
        try {
            StreamNames.check("stream", stream);
            records = RecordCodec.encodeBatch(stream, events, expectedVersion);
        } catch (InvalidRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
        RepeatCheck check = coldReads == null ? (freshIds ? readHereFirstId : readHere) : (freshIds ? readColdFirstId : readCold);
        return attempt(stream, records, expectedVersion, resolve(durability), check, coldReads, NOW, 0);
    }

    /**
     * Appends events with fresh (random, never sent) ids to one of the store's own streams: no
     * repeat check, so the append never takes a retry path and appends made in some order are
     * written in that order.
     */
    CompletionStage<AppendOutcome> appendFresh(String stream, List<NewEvent> events, Durability durability) {
        EventRecord[] records;
        try {
            records = RecordCodec.encodeBatch(stream, events, ExpectedVersion.ANY);
        } catch (InvalidRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
        return attempt(stream, records, ExpectedVersion.ANY, resolve(durability), RepeatCheck.NONE, null, NOW, 0);
    }

    /**
     * An append applied from a replicated log (see {@link EventStore#applyReplicated}): in the
     * order calls are made, on the calling thread, with the given timestamp and Raft index. It first
     * waits (blocking) for the stream's in-flight append, so the checks never take a path that
     * re-runs later on another thread: every replica decides the same outcome from the same log.
     * {@code repeats} false is for the store's own streams (fresh ids, no repeat check); {@code freshIds}:
     * the accepting node made the ids ({@link RepeatCheck#firstIdDecides}).
     */
    CompletionStage<AppendOutcome> applyInOrder(String stream, List<NewEvent> events, long expectedVersion,
                                                boolean repeats, boolean freshIds, long timestamp, long raftIndex) {
        EventRecord[] records;
        try {
            if (repeats) {
                StreamNames.check("stream", stream);
            }
            records = RecordCodec.encodeBatch(stream, events, expectedVersion);
        } catch (InvalidRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
        StreamEntry s = catalog.get(records[0].stream());
        if (s != null) {
            awaitInFlight(s);
        }
        RepeatCheck every = repeats ? RepeatDetector.replicated(log, index, timestamp, dedupWindowMillis) : RepeatCheck.NONE;
        RepeatCheck check = freshIds ? RepeatCheck.firstIdDecides(every) : every;
        // An overloaded log (pool full, commit thread behind) is this replica's passing state, not an
        // answer: wait and try again, as a replica cannot skip an entry.
        for (long backoff = 50_000; ; backoff = Math.min(backoff * 2, 10_000_000)) {
            CompletionStage<AppendOutcome> result = attempt(stream, records, expectedVersion, defaultDurability, check,
                    null, timestamp, raftIndex);
            if (!overloaded(result) || refusing) {
                return result;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(backoff);
        }
    }

    /** Whether {@code result} already failed with {@link io.strand.log.LogOverloadedException} (itself or wrapped). */
    private static boolean overloaded(CompletionStage<AppendOutcome> result) {
        return result.toCompletableFuture().handle((o, e) -> e instanceof io.strand.log.LogOverloadedException
                || e != null && e.getCause() instanceof io.strand.log.LogOverloadedException).getNow(false);
    }

    /** See {@link RaftEntryRecords#holds}. */
    boolean holdsInEntry(String stream, java.util.UUID id, long raftIndex) {
        return RaftEntryRecords.holds(log, catalog, stream, id, raftIndex);
    }

    static void awaitInFlight(StreamEntry s) {
        CompletionStage<?> inFlight;
        synchronized (s) {
            inFlight = s.inFlight();
        }
        if (inFlight != null) {
            try {
                inFlight.toCompletableFuture().join();
            } catch (RuntimeException failed) {
                // The append failed: the log has failed too, and the attempt below reports it.
            }
        }
    }

    /** From now on appends fail with {@link LogException}; in-flight ones still complete. */
    void refuseAppends() {
        refusing = true;
    }

    long appendedEvents() {
        return appendedEvents.sum();
    }

    long appendedBytes() {
        return appendedBytes.sum();
    }

    private Durability resolve(Durability durability) {
        return durability == null ? defaultDurability : durability;
    }

    /** {@code timestamp} {@link #NOW} takes the clock's; {@code raftIndex} 0 for an append that is not replicated. */
    private CompletionStage<AppendOutcome> attempt(String stream, EventRecord[] records, long expectedVersion,
                                                   Durability durability, RepeatCheck repeats, Executor coldReads,
                                                   long timestamp, long raftIndex) {
        byte[] name = records[0].stream();
        StreamEntry s = catalog.get(name);
        if (s == null) {
            if (lifecycle.get(stream).tombstoned()) {
                return CompletableFuture.failedFuture(new StreamTombstonedException(stream));
            }
            if (expectedVersion != ExpectedVersion.ANY && expectedVersion != ExpectedVersion.NO_STREAM) {
                // Refuse without creating a catalog entry: bad requests must not grow the catalog.
                return CompletableFuture.failedFuture(new WrongExpectedVersionException(stream, expectedVersion, -1));
            }
            s = catalog.getOrCreate(name);
        }
        Repeat repeat;
        CompletionStage<?> behind = null;
        AppendResult reserved = null;
        CompletableFuture<AppendOutcome> outcome = null;
        synchronized (s) {
            if (refusing) {
                return CompletableFuture.failedFuture(new LogException("the store is closed"));
            }
            if (lifecycle.get(stream).tombstoned()) { // decided under the monitor the tombstone took
                return CompletableFuture.failedFuture(new StreamTombstonedException(stream));
            }
            repeat = repeats.check(s, stream, records, durability);
            if (repeat instanceof Repeat.Fresh) {
                long current = s.assigned() - 1;
                if (lifecycle.matches(stream, expectedVersion, current)) {
                    long at = timestamp == NOW ? System.currentTimeMillis() : timestamp;
                    StreamEntry entry = s;
                    index.makeRoom(s, records.length); // not under the log's lock: place() only writes slots
                    LogAppend appended = log.append(records, records.length, current + 1, durability, at, raftIndex,
                            p -> place(entry, records, p));
                    reserved = appended.reserved();
                    if (reserved == null) {
                        return appended.thenApply(x -> (AppendOutcome) null); // already failed: nothing was written
                    }
                    long position = reserved.position();
                    for (int i = 0; i < records.length; i++) {
                        index.remember(s, current + 1 + i, position, records[i].idMsb(), records[i].idLsb(), at);
                        position += records[i].framedLength();
                    }
                    // The stage the caller gets is the one others wait for: what waits on it (a
                    // conflict's answer, a repeat's re-run) runs once this append is acknowledged.
                    outcome = appended.thenApply(r -> new AppendOutcome(stream, r.firstVersion(), r.lastVersion(),
                            r.position(), durability, false));
                    s.inFlight(outcome);
                } else {
                    // Read before the committed version: with none in flight, it covers every version given out.
                    behind = s.inFlight();
                    long committed = index.lastVersion(s);
                    if (!lifecycle.matches(stream, expectedVersion, committed)) {
                        // A conflict with what readers can see: linearizable now, whatever is in flight.
                        return CompletableFuture.failedFuture(new WrongExpectedVersionException(stream, expectedVersion, committed));
                    }
                    if (behind == null) { // versions above the committed one went to appends that failed
                        LogException failure = log.failure();
                        return CompletableFuture.failedFuture(failure != null ? failure
                                : new LogException("appends to " + stream + " failed: versions after " + committed
                                        + " were given out and not committed"));
                    }
                }
            }
        }
        // Outside the stream's monitor: nothing below runs an append inline under it.
        if (outcome != null) {
            outcome.whenComplete(new Committed(s, stream, reserved, outcome));
            return outcome;
        }
        if (behind != null) {
            // Expected matches the committed version, not the in-flight ones: answer once they are
            // committed (a 409 then names a version readers see), or append if one of them failed.
            return rerun(behind, onNotifier, repeats, stream, records, expectedVersion, durability, coldReads,
                    timestamp, raftIndex);
        }
        if (repeat instanceof Repeat.Duplicate d) {
            if (durability == Durability.FLUSHED) {
                // The original may not have asked for fsync: make the answer true before giving it.
                return log.awaitFlush(d.endPosition()).thenApply(p -> d.original());
            }
            return CompletableFuture.completedFuture(d.original());
        }
        if (repeat instanceof Repeat.Conflict c) {
            return CompletableFuture.failedFuture(c.cause());
        }
        if (repeat instanceof Repeat.Retry r) {
            // Candidates are read by the re-run: on coldReads when given, else (the caller accepted
            // reads on any thread) on the notifier once the in-flight candidate completed.
            return coldReads == null
                    ? rerun(r.after(), onNotifier, readHere, stream, records, expectedVersion, durability, null,
                    timestamp, raftIndex)
                    : rerun(r.after(), coldReads, readHere, stream, records, expectedVersion, durability, coldReads,
                    timestamp, raftIndex);
        }
        throw new IllegalStateException("unknown repeat outcome: " + repeat);
    }

    /**
     * Indexes a batch the log placed at {@code position}, under its append lock, before the batch
     * can commit: a reader that meets it in the log finds it in its stream. Published whole.
     */
    private void place(StreamEntry s, EventRecord[] records, long position) {
        try {
            for (EventRecord record : records) {
                index.stage(s, position, record.idMsb(), record.idLsb());
                position += record.framedLength();
            }
        } catch (RuntimeException | Error e) {
            index.unstage(s); // the log refuses the batch: no slot of it may stay behind
            throw e;
        }
        index.publish(s);
    }

    /**
     * Runs the append again on {@code where} once {@code after} completes (at once when null). The
     * completing thread (the log's commit or flush thread) only hands the work over.
     */
    private CompletionStage<AppendOutcome> rerun(CompletionStage<?> after, Executor where, RepeatCheck repeats,
                                                 String stream, EventRecord[] records, long expectedVersion,
                                                 Durability durability, Executor coldReads, long timestamp,
                                                 long raftIndex) {
        CompletableFuture<AppendOutcome> result = new CompletableFuture<>();
        Runnable run = () -> runOn(where, result,
                () -> attempt(stream, records, expectedVersion, durability, repeats, coldReads, timestamp, raftIndex));
        if (after != null) {
            after.whenComplete((x, e) -> run.run());
        } else {
            run.run();
        }
        return result;
    }

    /** Runs {@code work} on {@code executor} and completes {@code result} with it; a refusal fails {@code result}. */
    private static void runOn(Executor executor, CompletableFuture<AppendOutcome> result,
                              Supplier<CompletionStage<AppendOutcome>> work) {
        try {
            executor.execute(() -> {
                CompletionStage<AppendOutcome> stage;
                try {
                    stage = work.get();
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                    return;
                }
                stage.whenComplete((o, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(o);
                    }
                });
            });
        } catch (RuntimeException rejected) { // RejectedExecutionException: busy or shut down; nothing was written
            result.completeExceptionally(rejected);
        }
    }

    /**
     * Runs when an append's stage completes (on the commit or flush thread): clears the stream's
     * in-flight stage and counts, then posts itself to the notifier, which wakes the stream's
     * subscribers (and, for a stream's first events, the subscriptions waiting for it to exist).
     * One per append, as the completion callback was before: the notice costs no allocation.
     */
    private final class Committed extends Notifier.Notice implements BiConsumer<AppendOutcome, Throwable> {
        private final StreamEntry entry;
        private final String stream;
        private final AppendResult reserved;
        private final CompletionStage<AppendOutcome> done;
        private boolean first; // written before post, read on the notifier after the CAS that publishes it

        Committed(StreamEntry entry, String stream, AppendResult reserved, CompletionStage<AppendOutcome> done) {
            this.entry = entry;
            this.stream = stream;
            this.reserved = reserved;
            this.done = done;
        }

        @Override
        public void accept(AppendOutcome o, Throwable e) {
            entry.completed(done);
            if (e == null) {
                appendedEvents.add(reserved.count());
                appendedBytes.add(reserved.endPosition() - reserved.position());
                first = reserved.firstVersion() == 0;
            }
            if (notifier.interested()) {
                notifier.post(this);
            }
        }

        @Override
        void deliver() {
            entry.wakeListeners();
            if (first) {
                waiters.wake(stream); // the stream's first events: it exists now
            }
        }
    }
}
