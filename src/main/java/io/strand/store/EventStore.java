package io.strand.store;

import io.smallrye.mutiny.Multi;
import io.strand.index.IndexConfig;
import io.strand.index.StreamCatalog;
import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;
import io.strand.log.AppendResult;
import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.EventRecord;
import io.strand.log.LogAppend;
import io.strand.log.LogCursor;
import io.strand.log.LogException;
import io.strand.log.LogSlice;
import io.strand.log.RecoveryProgress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Function;

/**
 * Streams on the commit log: appends with expected-version checks and idempotent re-sends, reads by
 * stream and by log position, subscriptions, and consumer-group positions.
 *
 * <p>An append holds its stream's monitor while it checks ids and the expected version, takes the
 * next versions and hands the batch to the log (a memory copy, no I/O with the pool on): versions
 * are race-free per stream and appends to different streams proceed side by side. The returned
 * stage completes on the log's commit (or flush) thread, or on the cold-reads executor for a
 * re-send: callers hop to their own thread.
 *
 * <p>Reads return heap copies; they read mapped pages that may not be resident, so event-loop
 * callers should run them on a worker. Thread-safe.
 */
public final class EventStore implements AutoCloseable {
    /** For subscriptions: start after the last event at the time of subscribing. */
    public static final long END = -1;
    /** The store's own stream of consumer-group commits. */
    static final String GROUPS_STREAM = "$groups";

    private final CommitLog log;
    private final StreamIndex index;
    private final StreamCatalog catalog;
    private final StoreConfig config;
    private final Durability defaultDurability;
    private final ConsumerGroups groups;
    private final Set<LogSubscription<?>> subscriptions = ConcurrentHashMap.newKeySet();
    /**
     * Subscriptions to streams that do not exist yet, by name: they hold no catalog entry. Bounded by
     * the open subscriptions; a name leaves when its last waiter attaches, is cancelled or completes.
     */
    private final ConcurrentHashMap<String, Runnable[]> waiters = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private final java.util.concurrent.atomic.LongAdder appendedEvents = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder appendedBytes = new java.util.concurrent.atomic.LongAdder();

    private EventStore(CommitLog log, StreamIndex index, StoreConfig config) {
        this.log = log;
        this.index = index;
        this.catalog = index.catalog();
        this.config = config;
        this.defaultDurability = log.config().flushMode().defaultDurability();
        this.groups = new ConsumerGroups(this);
    }

    /** Opens the store over an open log: loads and catches up the index, then the group positions. */
    public static EventStore open(CommitLog log, StoreConfig config) throws IOException {
        return open(log, config, new RecoveryProgress());
    }

    /** As {@link #open(CommitLog, StoreConfig)}, reporting the index's progress to {@code progress}. */
    public static EventStore open(CommitLog log, StoreConfig config, RecoveryProgress progress) throws IOException {
        StreamIndex index = StreamIndex.open(log, new IndexConfig(log.config().dataDir(), config.dedupWindow(),
                log.config().checkpointInterval(), config.dedupMaxEntries()), progress);
        EventStore store = new EventStore(log, index, config);
        store.groups.load();
        return store;
    }

    // ---------------------------------------------------------------- append

    /**
     * Appends {@code events} to {@code stream} as one atomic batch with contiguous versions.
     * {@code expectedVersion} is a version or one of {@link ExpectedVersion}'s markers;
     * {@code durability} null means the server's default. The stage fails with
     * {@link IllegalArgumentException} (bad name or batch), {@link WrongExpectedVersionException},
     * {@link IdempotencyConflictException}, {@link io.strand.log.LogOverloadedException} (retry
     * later) or {@link LogException}. These are refusals that wrote nothing, with one exception:
     *
     * <p><b>A failed fsync leaves the outcome unknown.</b> When an append that asked for
     * {@link Durability#FLUSHED} fails because the fsync failed (or the log failed while the append
     * waited for it), its events were committed before the flush was tried: they may be readable now
     * and still be there after a restart. The caller cannot tell whether they were written. Re-sending
     * the same batch (the same event ids) is the safe, idempotent retry: it answers the original
     * outcome ({@link AppendOutcome#duplicate()}) if they were, and appends them if they were not.
     *
     * <p>A re-sent batch (or an id whose fingerprint happens to match an earlier one) makes this read
     * the candidate records on the calling thread, and a re-send racing the original's commit runs
     * again on the thread that completes it (the log's commit or flush thread); see
     * {@link #append(String, List, long, Durability, Executor)} to keep both off an event loop.
     */
    public CompletionStage<AppendOutcome> append(String stream, List<NewEvent> events, long expectedVersion,
                                                 Durability durability) {
        return append(stream, events, expectedVersion, durability, null);
    }

    /**
     * As {@link #append(String, List, long, Durability)}, for callers that must not read the log
     * (an event loop): the common append, whose ids match nothing appended before, still runs on the
     * calling thread (a memory copy with the pool on), but when an id's fingerprint matches an
     * earlier event the append runs again on {@code coldReads}, which reads the candidate records
     * (mapped pages that may not be resident) and gives the original outcome or goes on appending. A
     * re-send that has to wait for the stream's in-flight append also continues on {@code coldReads},
     * never on the log's commit thread. When {@code coldReads} refuses the work the stage fails with
     * its {@link java.util.concurrent.RejectedExecutionException} (nothing written; retry later).
     * {@code coldReads} null reads on the calling thread.
     */
    public CompletionStage<AppendOutcome> append(String stream, List<NewEvent> events, long expectedVersion,
                                                 Durability durability, Executor coldReads) {
        try {
            StreamNames.check("stream", stream);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return appendToStream(stream, events, expectedVersion, durability, coldReads,
                coldReads == null ? READ_HERE : READ_COLD);
    }

    /**
     * Appends events whose ids are fresh (random, never sent before) to one of the store's own
     * streams: no repeat check, so the append never takes the retry path and appends made in some
     * order are written in that order.
     */
    CompletionStage<AppendOutcome> appendFresh(String stream, List<NewEvent> events, Durability durability) {
        return appendToStream(stream, events, ExpectedVersion.ANY, durability, null, NO_CHECK);
    }

    /** Repeat check: confirm candidates by reading them on this thread. */
    private static final int READ_HERE = 0;
    /** Repeat check: when there are candidates, run again on the cold-reads executor to read them. */
    private static final int READ_COLD = 1;
    /** No repeat check: the ids are fresh. */
    private static final int NO_CHECK = 2;
    /** From {@link #checkRepeat}: the append must run again (after the in-flight one, or on the cold executor). */
    private static final CompletionStage<AppendOutcome> AGAIN = new CompletableFuture<>();

    private CompletionStage<AppendOutcome> appendToStream(String stream, List<NewEvent> events, long expectedVersion,
                                                          Durability durability, Executor coldReads, int mode) {
        int n = events == null ? 0 : events.size();
        EventRecord[] records = new EventRecord[n];
        try {
            if (n == 0) {
                throw new IllegalArgumentException("a batch needs at least one event");
            }
            if (expectedVersion < 0 && expectedVersion != ExpectedVersion.ANY && expectedVersion != ExpectedVersion.NO_STREAM
                    && expectedVersion != ExpectedVersion.EXISTS) {
                throw new IllegalArgumentException("bad expected version: " + expectedVersion);
            }
            byte[] name = stream.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < n; i++) {
                NewEvent e = events.get(i);
                if (e.type().isEmpty()) {
                    throw new IllegalArgumentException("event " + i + " has an empty type");
                }
                records[i] = RecordCodec.encode(name, e);
                for (int j = 0; j < i; j++) {
                    if (records[j].idMsb() == records[i].idMsb() && records[j].idLsb() == records[i].idLsb()) {
                        throw new IllegalArgumentException("event id " + e.id() + " appears twice in the batch");
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        Durability resolved = durability == null ? defaultDurability : durability;
        byte[] name = records[0].stream();
        StreamEntry s = catalog.get(name);
        if (s == null) {
            if (expectedVersion != ExpectedVersion.ANY && expectedVersion != ExpectedVersion.NO_STREAM) {
                // Refuse without creating a catalog entry: bad requests must not grow the catalog.
                return CompletableFuture.failedFuture(new WrongExpectedVersionException(stream, expectedVersion, -1));
            }
            s = catalog.getOrCreate(name);
        }
        StreamEntry entry = s;
        RepeatProbe probe = mode == NO_CHECK ? null : new RepeatProbe(mode == READ_HERE);
        LogAppend appended = null;
        synchronized (s) {
            if (closed) {
                return CompletableFuture.failedFuture(new LogException("the store is closed"));
            }
            CompletionStage<AppendOutcome> repeat = probe == null ? null
                    : checkRepeat(s, stream, records, resolved, events, probe);
            if (repeat == null) {
                long current = s.assigned() - 1;
                if (!ExpectedVersion.matches(expectedVersion, current)) {
                    return CompletableFuture.failedFuture(new WrongExpectedVersionException(stream, expectedVersion, current));
                }
                appended = log.append(records, n, current + 1, resolved);
                AppendResult r = appended.reserved();
                if (r == null) {
                    return appended.thenApply(x -> (AppendOutcome) null); // already failed: nothing was written
                }
                long timestamp = System.currentTimeMillis();
                long position = r.position();
                for (EventRecord record : records) {
                    index.add(s, position, record.idMsb(), record.idLsb(), timestamp);
                    position += record.framedLength();
                }
                s.inFlight(appended);
            } else if (repeat != AGAIN) {
                return repeat;
            }
        }
        if (appended == null) { // outside the stream's monitor: nothing below runs the append inline under it
            return again(stream, events, expectedVersion, durability, coldReads, probe);
        }
        LogAppend done = appended;
        done.whenComplete((r, e) -> {
            entry.completed(done);
            entry.wakeListeners();
            if (e == null) {
                appendedEvents.add(r.count());
                appendedBytes.add(r.endPosition() - r.position());
                if (r.firstVersion() == 0) {
                    wakeWaiters(stream); // the stream's first events: it exists now
                }
            }
        });
        return done.thenApply(r -> new AppendOutcome(stream, r.firstVersion(), r.lastVersion(), r.position(),
                resolved, false));
    }

    /** Runs the append again: after the stream's in-flight append, or (to read candidates) on {@code coldReads}. */
    private CompletionStage<AppendOutcome> again(String stream, List<NewEvent> events, long expectedVersion,
                                                 Durability durability, Executor coldReads, RepeatProbe probe) {
        CompletionStage<?> inFlight = probe.waitFor;
        if (coldReads == null) { // the 4-argument append: the caller accepted reads on any thread
            return inFlight.handle((x, e) -> null)
                    .thenCompose(x -> appendToStream(stream, events, expectedVersion, durability, null, READ_HERE));
        }
        CompletableFuture<AppendOutcome> result = new CompletableFuture<>();
        Runnable rerun = () -> runOn(coldReads, result,
                () -> appendToStream(stream, events, expectedVersion, durability, coldReads, READ_HERE));
        if (inFlight != null) {
            inFlight.whenComplete((x, e) -> rerun.run()); // only hands the work over: not on the commit thread
        } else {
            rerun.run();
        }
        return result;
    }

    /** Runs {@code work} on {@code executor} and completes {@code result} with it; a refusal fails {@code result}. */
    private static void runOn(Executor executor, CompletableFuture<AppendOutcome> result,
                              java.util.function.Supplier<CompletionStage<AppendOutcome>> work) {
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
     * What the repeat check saw of one append: each id's fingerprint-matching positions are passed
     * here. One per checked append, shared by its ids (no allocation per id on the common path).
     */
    private final class RepeatProbe implements java.util.function.LongPredicate {
        /** Read candidates here; else only note that there are some. */
        final boolean read;
        long committed;
        CompletionStage<?> inFlight;
        EventRecord record;
        /** A candidate not committed yet: maybe ours, in flight. Wait for it, then run again. */
        CompletionStage<?> waitFor;
        /** A committed candidate was seen and not read: run again where reads may run. */
        boolean deferred;

        RepeatProbe(boolean read) {
            this.read = read;
        }

        @Override
        public boolean test(long p) {
            if (p >= committed) {
                if (inFlight != null) {
                    waitFor = inFlight;
                }
                return false;
            }
            if (!read) {
                deferred = true;
                return false;
            }
            return isEvent(p, record);
        }
    }

    /**
     * Null when no event of the batch was appended before; else the original outcome, a conflict,
     * or {@link #AGAIN} when the append must run again (a candidate is still in flight, or there are
     * candidates and this pass does not read them).
     */
    private CompletionStage<AppendOutcome> checkRepeat(StreamEntry s, String stream, EventRecord[] records,
                                                       Durability durability, List<NewEvent> events, RepeatProbe probe) {
        probe.inFlight = s.inFlight();
        probe.committed = log.committedPosition(); // read after inFlight: with none in flight, all of s is below it
        long[] found = null;
        int matches = 0;
        for (int i = 0; i < records.length && !probe.deferred; i++) {
            EventRecord r = records[i];
            probe.record = r;
            long p = index.find(s, r.idMsb(), r.idLsb(), probe);
            if (p >= 0) {
                if (found == null) {
                    found = new long[records.length];
                }
                found[i] = p;
                matches++;
            }
        }
        if (probe.waitFor != null || probe.deferred) {
            return AGAIN;
        }
        if (matches == 0) {
            return null;
        }
        if (matches < records.length) {
            return CompletableFuture.failedFuture(new IdempotencyConflictException(
                    "the batch mixes " + matches + " event ids already appended to " + stream + " with "
                            + (records.length - matches) + " new ones"));
        }
        long firstVersion = -1;
        for (int i = 0; i < records.length; i++) {
            try (LogSlice slice = log.readRecord(found[i])) {
                long v = io.strand.log.RecordDescriptor.streamVersion(slice.buffer(), 0);
                if (i == 0) {
                    firstVersion = v;
                } else if (v != firstVersion + i) {
                    return CompletableFuture.failedFuture(new IdempotencyConflictException(
                            "the batch's event ids were appended to " + stream + " in another order or other batches"));
                }
                if (!RecordCodec.sameContent(slice.buffer(), 0, records[i])) {
                    return CompletableFuture.failedFuture(new IdempotencyConflictException(
                            "event id " + events.get(i).id() + " was appended to " + stream + " with other content"));
                }
            }
        }
        AppendOutcome original = new AppendOutcome(stream, firstVersion, firstVersion + records.length - 1, found[0],
                durability, true);
        if (durability == Durability.FLUSHED) {
            // The original may not have asked for fsync: make the answer true before giving it.
            long end = found[records.length - 1] + records[records.length - 1].framedLength();
            return log.awaitFlush(end).thenApply(p -> original);
        }
        return CompletableFuture.completedFuture(original);
    }

    private void wakeWaiters(String stream) {
        Runnable[] w = waiters.get(stream);
        if (w != null) {
            for (Runnable r : w) {
                r.run();
            }
        }
    }

    private boolean isEvent(long position, EventRecord r) {
        try (LogSlice slice = log.readRecord(position)) {
            return slice != null && RecordCodec.sameId(slice.buffer(), 0, r.stream(), r.idMsb(), r.idLsb());
        } catch (IllegalArgumentException gone) {
            return false; // below the log's first position: no longer held
        }
    }

    // ---------------------------------------------------------------- reads

    /** One event; {@link StreamNotFoundException} when the stream or the version does not exist. */
    public RecordedEvent readEvent(String stream, long version) {
        try (EventView v = readEventView(stream, version)) {
            return v.copy();
        }
    }

    /** One event in place; the caller closes it. */
    public EventView readEventView(String stream, long version) {
        StreamEntry s = existing(stream);
        if (version < 0 || version > index.lastVersion(s)) {
            throw new StreamNotFoundException(stream, version);
        }
        long first = index.firstVersion(s);
        if (version < first) {
            throw gone(stream, version, first);
        }
        return viewAt(s.position(version));
    }

    /**
     * A page of {@code stream}: forward from {@code from} (a negative {@code from} means the first
     * event), or backward from it (negative or past the end: the last event).
     */
    public ReadPage readStream(String stream, long from, int limit, Direction direction) {
        return copies(readStreamViews(stream, from, limit, direction));
    }

    /** {@link #readStream} in place: the caller closes the page. */
    public ViewPage readStreamViews(String stream, long from, int limit, Direction direction) {
        return views(readStreamPositions(stream, from, limit, direction));
    }

    /** {@link #readStream} as log positions only (for writers that slice records themselves). */
    public PositionPage readStreamPositions(String stream, long from, int limit, Direction direction) {
        checkLimit(limit);
        StreamEntry s = existing(stream);
        long last = index.lastVersion(s);
        long first = index.firstVersion(s);
        if (from >= 0 && from < first && (direction == Direction.FORWARD || from <= last)) {
            throw gone(stream, from, first);
        }
        if (direction == Direction.FORWARD) {
            long start = Math.max(first, from);
            if (start > last) {
                return new PositionPage(new long[0], 0, -1);
            }
            long end = Math.min(last, start + limit - 1);
            long[] positions = new long[(int) (end - start + 1)];
            for (long v = start; v <= end; v++) {
                positions[(int) (v - start)] = s.position(v);
            }
            return new PositionPage(positions, positions.length, end < last ? end + 1 : -1);
        }
        long start = from < 0 || from > last ? last : from;
        if (start < first) {
            return new PositionPage(new long[0], 0, -1);
        }
        long end = Math.max(first, start - limit + 1);
        long[] positions = new long[(int) (start - end + 1)];
        for (long v = start; v >= end; v--) {
            positions[(int) (start - v)] = s.position(v);
        }
        return new PositionPage(positions, positions.length, end > first ? end - 1 : -1);
    }

    private static PositionGoneException gone(String stream, long version, long first) {
        return new PositionGoneException("version " + version + " of stream " + stream
                + " was deleted by retention; the first version still held is " + first, first);
    }

    private ViewPage views(PositionPage positions) {
        ViewPage page = new ViewPage(positions.count());
        try {
            for (int i = 0; i < positions.count(); i++) {
                page.add(viewAt(positions.positions()[i]));
            }
            return page.next(positions.next());
        } catch (RuntimeException e) {
            page.close();
            throw e;
        }
    }

    /**
     * A page of the whole log from {@code fromPosition} (which must be a record boundary; 0 or
     * negative means the first retained event); {@code next} is the following event's position.
     */
    public ReadPage readAll(long fromPosition, int limit) {
        return copies(readAllViews(fromPosition, limit));
    }

    /** {@link #readAll} in place: the caller closes the page. */
    public ViewPage readAllViews(long fromPosition, int limit) {
        return views(readAllPositions(fromPosition, limit));
    }

    /** {@link #readAll} as log positions only. */
    public PositionPage readAllPositions(long fromPosition, int limit) {
        checkLimit(limit);
        long first = log.firstPosition();
        if (fromPosition > 0 && fromPosition < first) {
            throw new PositionGoneException("log position " + fromPosition
                    + " was deleted by retention; the first position still held is " + first, first);
        }
        long from = fromPosition <= 0 ? first : fromPosition;
        checkRecordBoundary(from);
        long[] positions = new long[Math.min(limit, 1024)];
        int n = 0;
        try (LogCursor c = log.cursor(from)) {
            while (n < limit && c.next()) {
                if (n == positions.length) {
                    positions = java.util.Arrays.copyOf(positions, Math.min(limit, n * 2));
                }
                positions[n++] = c.position();
            }
            return new PositionPage(positions, n, n == limit && c.next() ? c.position() : -1);
        }
    }

    /**
     * Checks that {@code position}, from a client, is where a record of the log starts: the log's
     * first position, its committed end, or the position of an event the index knows (any stream,
     * the store's own included). A CRC-valid record alone does not prove it, since an event's data may
     * hold the bytes of a valid record; the record read there must name a (stream, version) that the
     * stream's index maps to exactly this position. Reads the log (a record that may not be resident):
     * not for an event loop. Throws {@link IllegalArgumentException} when it is not a boundary,
     * {@link PositionGoneException} below the first position held.
     */
    public void checkRecordBoundary(long position) {
        long first = log.firstPosition();
        long committed = log.committedPosition();
        if (position == first || position == committed) {
            return;
        }
        if (position < first && position > 0) {
            throw new PositionGoneException("log position " + position
                    + " was deleted by retention; the first position still held is " + first, first);
        }
        if (position < 0 || position > committed || (position & (io.strand.log.RecordDescriptor.ALIGNMENT - 1)) != 0) {
            throw notBoundary(position, "out of range or unaligned (first=" + first + ", committed=" + committed + ")");
        }
        StreamEntry s;
        long version;
        try (LogSlice slice = log.read(position, io.strand.log.RecordDescriptor.HEADER_LENGTH + 0xFFFF)) {
            java.nio.ByteBuffer b = slice.buffer();
            int readable = b.limit();
            if (readable < io.strand.log.RecordDescriptor.MARKER_LENGTH
                    || io.strand.log.RecordDescriptor.magic(b, 0) != io.strand.log.RecordDescriptor.MAGIC
                    || io.strand.log.RecordDescriptor.version(b, 0) != io.strand.log.RecordDescriptor.VERSION) {
                throw notBoundary(position, "no record header there");
            }
            if (io.strand.log.RecordDescriptor.isEndOfSegment(b, 0)) {
                // The committed end a client was given may since have become an end-of-segment
                // marker (the next batch went to the next segment); one claims exactly the rest of
                // its segment. Readers go on at the next segment's first record, a real one.
                int segmentSize = log.config().segmentSize();
                if (io.strand.log.RecordDescriptor.length(b, 0) == segmentSize - (int) (position % segmentSize)) {
                    return;
                }
                throw notBoundary(position, "no record header there");
            }
            if (readable < io.strand.log.RecordDescriptor.HEADER_LENGTH) {
                throw notBoundary(position, "no record header there");
            }
            int nameLength = io.strand.log.RecordDescriptor.streamLength(b, 0);
            if (io.strand.log.RecordDescriptor.HEADER_LENGTH + nameLength > readable) {
                throw notBoundary(position, "no record header there");
            }
            byte[] name = new byte[nameLength];
            b.get(io.strand.log.RecordDescriptor.streamOffset(0), name);
            version = io.strand.log.RecordDescriptor.streamVersion(b, 0);
            s = catalog.get(name);
        }
        if (s == null || !maps(s, version, position)) {
            if (s != null) {
                synchronized (s) {
                    // An append records positions under this monitor just after the log reserved them
                    // (and may have committed them): after it, a real record is always in the index.
                    if (maps(s, version, position)) {
                        return;
                    }
                }
            }
            throw notBoundary(position, "no event starts there");
        }
    }

    private static boolean maps(StreamEntry s, long version, long position) {
        return version >= s.base() && version < s.assigned() && s.position(version) == position;
    }

    private static IllegalArgumentException notBoundary(long position, String why) {
        return new IllegalArgumentException("not a record boundary: position=" + position + " (" + why + ")");
    }

    private static ReadPage copies(ViewPage views) {
        try (views) {
            List<RecordedEvent> events = new ArrayList<>(views.size());
            for (EventView v : views.events()) {
                events.add(v.copy());
            }
            return new ReadPage(events, views.next());
        }
    }

    /** First and last version; {@link StreamNotFoundException} when the stream has no events. */
    public StreamInfo streamInfo(String stream) {
        StreamEntry s = existing(stream);
        return new StreamInfo(stream, index.firstVersion(s), index.lastVersion(s));
    }

    /** Streams with events, in creation order, from cursor {@code from} (0 for the first page). */
    public StreamPage listStreams(long from, int limit) {
        checkLimit(limit);
        List<StreamInfo> page = new ArrayList<>();
        int size = catalog.size();
        long id = Math.max(0, from);
        for (; id < size && page.size() < limit; id++) {
            StreamEntry s = catalog.byId((int) id);
            long last = index.lastVersion(s);
            if (last >= 0 && !s.name().startsWith("$")) {
                page.add(new StreamInfo(s.name(), index.firstVersion(s), last));
            }
        }
        return new StreamPage(page, id < size ? id : -1);
    }

    /** Heap copy of the committed record at a position the index gave out. */
    RecordedEvent readAt(long position) {
        try (EventView v = viewAt(position)) {
            return v.copy();
        }
    }

    /** The committed record at a position the index or a cursor gave out, in place. */
    EventView viewAt(long position) {
        LogSlice slice;
        try {
            slice = log.readRecord(position);
        } catch (IllegalArgumentException e) {
            long first = log.firstPosition();
            if (position < first) { // retention deleted it after the index gave it out
                throw new PositionGoneException("log position " + position + " was deleted by retention", first);
            }
            throw e;
        }
        if (slice == null) {
            throw new IllegalStateException("not committed: position=" + position);
        }
        return new EventView(slice);
    }

    private StreamEntry existing(String stream) {
        StreamEntry s = catalog.get(stream);
        if (s == null || index.lastVersion(s) < 0) {
            throw new StreamNotFoundException(stream);
        }
        return s;
    }

    private void checkLimit(int limit) {
        if (limit <= 0 || limit > config.maxPageSize()) {
            throw new IllegalArgumentException("limit must be between 1 and " + config.maxPageSize() + ": " + limit);
        }
    }

    // ---------------------------------------------------------------- subscriptions

    /**
     * Events of {@code stream} from {@code fromVersion} (or {@link #END}): catch-up, then live,
     * read on demand on {@code executor}. A stream that does not exist yet is waited for.
     */
    public Multi<RecordedEvent> subscribeStream(String stream, long fromVersion, Executor executor) {
        return subscribeStream(stream, fromVersion, executor, EventStore::copyAndClose);
    }

    /** {@link #subscribeStream} in place: the subscriber closes every view it receives. */
    public Multi<EventView> subscribeStreamViews(String stream, long fromVersion, Executor executor) {
        return subscribeStream(stream, fromVersion, executor, v -> v);
    }

    /**
     * The whole log from {@code fromPosition} (a record boundary, or {@link #END}), catch-up then live.
     * A position that is not a record boundary ({@link #checkRecordBoundary}) ends the subscription
     * with {@link IllegalArgumentException} on its first drain (on {@code executor}).
     */
    public Multi<RecordedEvent> subscribeAll(long fromPosition, Executor executor) {
        return subscribeAll(fromPosition, executor, EventStore::copyAndClose);
    }

    /** {@link #subscribeAll} in place: the subscriber closes every view it receives. */
    public Multi<EventView> subscribeAllViews(long fromPosition, Executor executor) {
        return subscribeAll(fromPosition, executor, v -> v);
    }

    private <T> Multi<T> subscribeStream(String stream, long fromVersion, Executor executor, Function<EventView, T> mapper) {
        return Multi.createFrom().publisher((Flow.Publisher<T>) subscriber -> {
            // Never getOrCreate: a subscription to a stream that does not exist waits by name.
            StreamEntry s = catalog.get(stream);
            long from = s == null ? Math.max(0, fromVersion)
                    : fromVersion == END ? index.lastVersion(s) + 1 : Math.max(index.firstVersion(s), fromVersion);
            track(new StreamSubscription<>(subscriber, executor, this, index, stream, s, from, mapper,
                    subscriptions::remove));
        });
    }

    /** Wakes {@code listener} when {@code stream}'s first events are committed (it does not exist yet). */
    void awaitStream(String stream, Runnable listener) {
        waiters.merge(stream, new Runnable[]{listener}, (old, one) -> {
            Runnable[] next = java.util.Arrays.copyOf(old, old.length + 1);
            next[old.length] = one[0];
            return next;
        });
    }

    /** Undoes {@link #awaitStream} (attached, cancelled or completed); no-op when not waiting. */
    void stopAwaiting(String stream, Runnable listener) {
        waiters.computeIfPresent(stream, (name, old) -> {
            for (int i = 0; i < old.length; i++) {
                if (old[i] == listener) {
                    if (old.length == 1) {
                        return null;
                    }
                    Runnable[] next = new Runnable[old.length - 1];
                    System.arraycopy(old, 0, next, 0, i);
                    System.arraycopy(old, i + 1, next, i, old.length - i - 1);
                    return next;
                }
            }
            return old;
        });
    }

    /** Subscriptions waiting for streams that do not exist yet (for tests and metrics). */
    int waitingSubscriptions() {
        int n = 0;
        for (Runnable[] w : waiters.values()) {
            n += w.length;
        }
        return n;
    }

    private <T> Multi<T> subscribeAll(long fromPosition, Executor executor, Function<EventView, T> mapper) {
        return Multi.createFrom().publisher((Flow.Publisher<T>) subscriber -> {
            long from = fromPosition == END ? log.committedPosition() : Math.max(fromPosition, log.firstPosition());
            // A client's position is checked on the first drain; the committed end needs no check.
            boolean check = fromPosition != END && from == fromPosition;
            track(new AllSubscription<>(subscriber, executor, this, from, check, mapper, subscriptions::remove));
        });
    }

    private static RecordedEvent copyAndClose(EventView v) {
        try (v) {
            return v.copy();
        }
    }

    private void track(LogSubscription<?> subscription) {
        subscriptions.add(subscription);
        subscription.start();
        if (closed) {
            subscription.complete();
        }
    }

    /** Events appended (committed) since open; repeats are not counted. */
    public long appendedEvents() {
        return appendedEvents.sum();
    }

    /** Log bytes those events took. */
    public long appendedBytes() {
        return appendedBytes.sum();
    }

    /** The largest distance in log bytes between a subscription's read position and the committed position. */
    public long maxSubscriptionLagBytes() {
        long committed = log.committedPosition();
        long max = 0;
        for (LogSubscription<?> s : subscriptions) {
            long p = s.readPosition();
            if (p >= 0) {
                max = Math.max(max, committed - p);
            }
        }
        return max;
    }

    /** Subscriptions currently open. */
    public int subscriptionCount() {
        return subscriptions.size();
    }

    // ---------------------------------------------------------------- consumer groups

    /** Durably records that {@code group} has consumed {@code stream} up to {@code version} (-1: nothing). */
    public CompletionStage<Void> commitGroup(String group, String stream, long version) {
        return groups.commit(group, stream, version);
    }

    ConsumerGroups groups() {
        return groups;
    }

    /** The group's committed version of the stream, if it committed one. */
    public OptionalLong groupVersion(String group, String stream) {
        return groups.version(group, stream);
    }

    // ---------------------------------------------------------------- retention

    /**
     * Deletes the oldest whole segments beyond {@code maxAgeMillis} or {@code maxBytes} (0 or less:
     * no limit). Consumer-group positions committed in those segments are first appended again, so
     * none is lost. The index then drops the versions whose records were in them. Returns how many
     * segments were deleted.
     */
    public int applyRetention(long maxAgeMillis, long maxBytes) throws IOException {
        long cut = log.retentionCut(maxAgeMillis, maxBytes, System.currentTimeMillis());
        if (cut <= log.firstPosition()) {
            return 0;
        }
        groups.carryForward(cut);
        int deleted = log.deleteBefore(cut);
        if (deleted > 0) {
            index.dropBefore(log.firstPosition()); // the index drops what points into deleted segments
        }
        return deleted;
    }

    // ---------------------------------------------------------------- status

    public CommitLog log() {
        return log;
    }

    public StreamIndex index() {
        return index;
    }

    /**
     * The first step of a graceful stop: refuses new appends (in-flight ones still complete) and
     * completes every subscription, so streaming responses end cleanly while the server can still
     * write them. {@link #close()} follows.
     */
    public void beginShutdown() {
        closed = true;
        for (LogSubscription<?> s : subscriptions) {
            s.complete();
        }
    }

    /** True once {@link #beginShutdown()} or {@link #close()} ran. */
    public boolean shuttingDown() {
        return closed;
    }

    // ---------------------------------------------------------------- ports for the edge

    /** The index's figures (streams, entries loaded and rebuilt, dedup ids) for metrics and logs, read-only. */
    public IndexStatus indexStatus() {
        return new IndexStatus(index);
    }

    /**
     * {@link #append(String, List, long, Durability, Executor)} with the durability as the edge names it
     * ({@code null}: the server's default), so that callers above the store never handle the log's types.
     */
    public CompletionStage<AppendOutcome> appendWith(String stream, List<NewEvent> events, long expectedVersion,
                                                     WriteDurability durability, Executor coldReads) {
        return append(stream, events, expectedVersion, durability == null ? null : durability.toLog(), coldReads);
    }

    /**
     * Refuses further appends, lets in-flight ones commit, completes every subscription, and brings
     * the index on disk up to date. The log itself stays open: its owner closes it after this.
     */
    @Override
    public void close() throws IOException {
        closed = true;
        log.stopAppends();
        for (LogSubscription<?> s : subscriptions) {
            s.complete();
        }
        index.close();
    }
}
