package io.strand.store;

import io.smallrye.mutiny.Multi;
import io.strand.index.IndexConfig;
import io.strand.index.StreamIndex;
import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.LogException;
import io.strand.log.RecoveryProgress;

import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * Streams on the commit log: appends, reads by stream and by log position, subscriptions, stream
 * lifecycle and consumer-group positions. A facade delegating each call to the part that owns it:
 *
 * <ul>
 *   <li>{@link Appender}: append sequencing (with {@link RepeatDetector}, the repeat check);
 *   <li>{@link StreamReader}, {@link AllReader}, {@link StreamLister}: reads by stream, by log
 *       position ({@code $all}), and the stream list, all through {@link RecordReader};
 *   <li>{@link Subscriptions} and {@link StreamWaiters}: subscriptions, woken by the
 *       {@link Notifier} thread rather than the log's commit thread;
 *   <li>{@link StreamLifecycle}, {@link ConsumerGroups} and {@link Retention}.
 * </ul>
 *
 * <p>The stage of an append completes on the log's commit (or flush) thread, or on the notifier or
 * the cold-reads executor for a re-run: callers hop to their own thread. Reads return heap copies
 * or views of mapped pages that may not be resident, so event-loop callers run them on a worker.
 * Thread-safe.
 */
public final class EventStore implements EventWriter, AutoCloseable {
    /** For subscriptions: start after the last event at the time of subscribing. */
    public static final long END = -1;
    /** The store's own stream of consumer-group commits. */
    static final String GROUPS_STREAM = ConsumerGroups.STREAM;

    private final CommitLog log;
    private final StreamIndex index;
    private final Notifier notifier;
    private final LongConsumer commitListener;
    private final StreamWaiters waiters = new StreamWaiters();
    private final Appender appender;
    private final StreamReader streams;
    private final AllReader all;
    private final TimeStart times;
    private final StreamLister lister;
    private final Subscriptions subscriptions;
    private final ConsumerGroups groups;
    private final Retention retention;
    private final StreamLifecycle lifecycle;
    private final CommitWaiters commitWaiters;
    private final Replica replica;
    private volatile boolean closed;

    private EventStore(CommitLog log, StreamIndex index, StoreConfig config) {
        this.log = log;
        this.index = index;
        this.notifier = new Notifier(log::committedPosition, "strand-store-notifier");
        RecordReader records = new RecordReader(log);
        this.lifecycle = new StreamLifecycle(index, records, this::appendMetadata, notifier::execute);
        this.appender = new Appender(log, index, notifier, waiters, config.dedupWindow().toMillis(), lifecycle);
        this.streams = new StreamReader(index, records, config, lifecycle);
        this.all = new AllReader(log, index.catalog(), records, config);
        this.times = new TimeStart(log, index);
        this.lister = new StreamLister(index, config, lifecycle);
        this.subscriptions = new Subscriptions(log, index, records, all, waiters, notifier, streams);
        this.groups = new ConsumerGroups(index, records,
                event -> appender.appendFresh(GROUPS_STREAM, List.of(event), Durability.FLUSHED));
        this.retention = new Retention(log, index, groups, lifecycle);
        this.commitWaiters = new CommitWaiters(log::committedPosition, notifier::execute);
        this.replica = new Replica(log, appender, groups, commitWaiters, lifecycle, notifier::execute);
        // The commit thread only signals: $all wake-ups run on the notifier.
        this.commitListener = p -> {
            if (notifier.hasAllListeners()) {
                notifier.signal();
            }
            commitWaiters.committed(p);
            replica.committed(p);
        };
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
        store.notifier.start();
        log.addCommitListener(store.commitListener);
        try {
            store.groups.load();
            store.lifecycle.load();
        } catch (RuntimeException e) {
            store.stopNotifying();
            index.close();
            throw e;
        }
        return store;
    }

    // ---------------------------------------------------------------- append

    /**
     * Appends {@code events} to {@code stream} as one atomic batch with contiguous versions.
     * {@code expectedVersion} is a version or one of {@link ExpectedVersion}'s markers;
     * {@code durability} null means the server's default. The stage fails with
     * {@link InvalidRequestException}, {@link WrongExpectedVersionException} (naming a committed
     * version), {@link IdempotencyConflictException}, {@link StreamTombstonedException},
     * {@link io.strand.log.LogOverloadedException} (retry later) or {@link LogException}: refusals
     * that wrote nothing, except that a failed fsync leaves the outcome unknown (re-send the same
     * event ids: see docs/STORE.md, "Appends"). A re-send reads candidate records on the calling
     * thread: see {@link #append(String, List, long, Durability, Executor)} to keep reads off an event loop.
     */
    public CompletionStage<AppendOutcome> append(String stream, List<NewEvent> events, long expectedVersion,
                                                 Durability durability) {
        return appender.append(stream, events, expectedVersion, durability, null, false);
    }

    /**
     * As {@link #append(String, List, long, Durability)}, for callers that must not read the log (an
     * event loop): an append whose ids' fingerprints match earlier events, or that waits for the
     * stream's in-flight append, runs again on {@code coldReads} (its refusal fails the stage: nothing
     * written). {@code coldReads} null reads on the calling thread.
     */
    public CompletionStage<AppendOutcome> append(String stream, List<NewEvent> events, long expectedVersion,
                                                 Durability durability, Executor coldReads) {
        return appender.append(stream, events, expectedVersion, durability, coldReads, false);
    }

    /** What a replication layer needs of this store: applying entries in log order, positions, flushes. */
    public Replica replica() {
        return replica;
    }

    /** Appends fresh-id events, flushed, to a stream of the store's own ({@code $}...): for subsystems such as shared groups. */
    public CompletionStage<AppendOutcome> appendSystem(String stream, List<NewEvent> events) {
        return stream.startsWith("$") ? appender.appendFresh(stream, events, Durability.FLUSHED)
                : java.util.concurrent.CompletableFuture.failedFuture(new InvalidRequestException("not a system stream: " + stream));
    }

    private CompletionStage<AppendOutcome> appendMetadata(NewEvent event) { // the lifecycle's $meta events
        return appender.appendFresh(StreamLifecycle.STREAM, List.of(event), Durability.FLUSHED);
    }

    /** Appends fresh-id events to one of the store's own streams (no repeat check; for groups and tests). */
    CompletionStage<AppendOutcome> appendFresh(String stream, List<NewEvent> events, Durability durability) {
        return appender.appendFresh(stream, events, durability);
    }

    // ---------------------------------------------------------------- reads

    /** One event; {@link StreamNotFoundException} when the stream or the version does not exist. */
    public RecordedEvent readEvent(String stream, long version) {
        return RecordReader.copyAndClose(streams.readEventView(stream, version));
    }

    /** One event in place; the caller closes it. */
    public EventView readEventView(String stream, long version) {
        return streams.readEventView(stream, version);
    }

    /**
     * A page of {@code stream}: forward from {@code from} (a negative {@code from} means the first
     * event), or backward from it (negative or past the end: the last event).
     */
    public ReadPage readStream(String stream, long from, int limit, Direction direction) {
        return StreamReader.copies(streams.readStreamViews(stream, from, limit, direction));
    }

    /** A page of the stream's events that {@code filter} passes (a bounded scan; {@code next} goes on from there). */
    public ViewPage readStreamViews(String stream, long from, int limit, Direction direction, EventFilter filter) {
        return streams.readStreamViews(stream, from, limit, direction, filter);
    }

    /** The positions of {@link #readStreamViews(String, long, int, Direction, EventFilter)}'s page. */
    public PositionPage readStreamPositions(String stream, long from, int limit, Direction direction, EventFilter filter) {
        return streams.readStreamPositions(stream, from, limit, direction, filter);
    }

    /** A page of the log from {@code fromPosition} (a record boundary; 0 or less: the first held); {@code next} follows. */
    public ReadPage readAll(long fromPosition, int limit) {
        return StreamReader.copies(all.readAllViews(fromPosition, limit));
    }

    /** The positions of {@link #readAllViews(long, int, EventFilter)}'s page. */
    public PositionPage readAllPositions(long fromPosition, int limit, EventFilter filter) {
        return filter.all() ? all.readAllPositions(fromPosition, limit) : all.readAllPositions(fromPosition, limit, filter);
    }

    /** A page of the events {@code filter} passes, scanning a bounded number of records (its {@code next} goes on from there). */
    public ViewPage readAllViews(long fromPosition, int limit, EventFilter filter) {
        return all.readAllViews(fromPosition, limit, filter);
    }

    /** Where {@code $all} reaches {@code timestampMillis}: the first record at or after it (else the end). Reads the log. */
    public long positionAt(long timestampMillis) {
        return times.position(timestampMillis);
    }

    /** A stream's first version at or after {@code timestampMillis} (its last + 1 when none). Reads the log. */
    public long versionAt(String stream, long timestampMillis) {
        return streams.versionAt(stream, timestampMillis);
    }

    /** {@link AllReader#checkRecordBoundary}: {@link InvalidRequestException}, or {@link PositionGoneException} below the log. Reads the log. */
    public void checkRecordBoundary(long position) {
        all.checkRecordBoundary(position);
    }

    /** First and last version; {@link StreamNotFoundException} when the stream has no events. */
    public StreamInfo streamInfo(String stream) {
        return streams.streamInfo(stream);
    }

    /** Streams with events, in creation order, from cursor {@code from} (0 for the first page). */
    public StreamPage listStreams(long from, int limit) {
        return lister.listStreams(from, limit);
    }

    /** As {@link #listStreams(long, int)}, only names {@code names} accepts (a bounded scan; {@code next} goes on). */
    public StreamPage listStreams(long from, int limit, java.util.function.Predicate<String> names) {
        return lister.listStreams(from, limit, names);
    }

    // ---------------------------------------------------------------- subscriptions

    /** Events of {@code stream} from {@code fromVersion} (or {@link #END}), catch-up then live, read on {@code executor}; waits for a new stream. */
    public Multi<RecordedEvent> subscribeStream(String stream, long fromVersion, Executor executor) {
        return subscriptions.stream(stream, fromVersion, executor, RecordReader::copyAndClose);
    }

    /** {@link #subscribeStream} in place: the subscriber closes every view it receives. */
    public Multi<EventView> subscribeStreamViews(String stream, long fromVersion, Executor executor) {
        return subscriptions.stream(stream, fromVersion, executor, v -> v);
    }

    /**
     * The whole log from {@code fromPosition} (a record boundary, or {@link #END}), catch-up then live.
     * A position that is not a record boundary ({@link #checkRecordBoundary}) ends the subscription
     * with {@link InvalidRequestException} on its first drain (on {@code executor}).
     */
    public Multi<RecordedEvent> subscribeAll(long fromPosition, Executor executor) {
        return subscriptions.all(fromPosition, executor, RecordReader::copyAndClose);
    }

    /** {@link #subscribeAll} in place: the subscriber closes every view it receives. */
    public Multi<EventView> subscribeAllViews(long fromPosition, Executor executor) {
        return subscriptions.all(fromPosition, executor, v -> v);
    }

    int waitingSubscriptions() { // subscriptions waiting for streams that do not exist yet (tests, metrics)
        return waiters.count();
    }

    /** Events appended (committed) since open; repeats are not counted. */
    public long appendedEvents() {
        return appender.appendedEvents();
    }

    /** Log bytes those events took. */
    public long appendedBytes() {
        return appender.appendedBytes();
    }

    /** The largest distance in log bytes between a subscription's read position and the committed position. */
    public long maxSubscriptionLagBytes() {
        return subscriptions.maxLagBytes();
    }

    /** Subscriptions currently open. */
    public int subscriptionCount() {
        return subscriptions.count();
    }

    // ---------------------------------------------------------------- lifecycle
    /** See {@link StreamLifecycle#change(String, StreamChange, long, java.util.UUID, ConsumerGroups.Appends)}. */
    @Override
    public CompletionStage<Void> changeStream(String stream, StreamChange change, long expectedVersion) {
        return lifecycle.change(stream, change, expectedVersion);
    }

    /** The stream's metadata and, when it has events, its first visible and last versions. Reads the log for maxAge. */
    public StreamMetadataView metadata(String stream) {
        return streams.metadata(stream);
    }

    /** Memory only: throws {@link StreamTombstonedException} or {@link StreamDeletedException} when reads refuse it. */
    public void checkReadable(String stream) {
        streams.checkReadable(stream);
    }

    // ---------------------------------------------------------------- consumer groups

    /** Durably records that {@code group} has consumed {@code stream} up to {@code version} (-1: nothing). */
    @Override
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
     * Deletes the oldest whole segments beyond {@code maxAgeMillis} or {@code maxBytes} (0 or less: no limit),
     * after appending again what must outlive them (group positions, metadata, carry-forwards); returns how many.
     */
    public int applyRetention(long maxAgeMillis, long maxBytes) throws IOException {
        return retention.apply(maxAgeMillis, maxBytes);
    }

    /** Runs {@code c} with the cut before retention deletes below it (c appends, flushed, what must outlive it); run the result to remove. */
    public Runnable addCarryForward(LongConsumer c) {
        return retention.add(c);
    }

    // ---------------------------------------------------------------- status and lifecycle

    public CommitLog log() {
        return log;
    }

    public StreamIndex index() {
        return index;
    }

    boolean notifierAlive() { // true while the notifier thread runs (for tests)
        return notifier.alive();
    }

    /** A graceful stop's first step: refuses new appends, completes every subscription while responses can end cleanly. */
    public void beginShutdown() {
        closed = true;
        appender.refuseAppends();
        subscriptions.completeAll();
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
     * {@link EventWriter}'s append: {@link #append(String, List, long, Durability, Executor)} with the
     * durability as the edge names it ({@code null}: the server's default), so that callers above the
     * store never handle the log's types. {@code freshIds}: this server made the ids for this request
     * (only a re-send of this very batch could repeat them; see {@link RepeatCheck#firstIdDecides}).
     */
    @Override
    public CompletionStage<AppendOutcome> write(String stream, List<NewEvent> events, long expectedVersion,
                                                 WriteDurability durability, Executor coldReads, boolean freshIds) {
        return appender.append(stream, events, expectedVersion, durability == null ? null : durability.toLog(), coldReads, freshIds);
    }

    /** A record is readable here once committed: its stream's index is published before its batch commits. */
    @Override
    public CompletionStage<Void> awaitPosition(long position) {
        return replica.awaitCommitted(position + 1);
    }

    /** Refuses appends, lets in-flight ones commit, completes subscriptions, stops the notifier, saves the index; the log stays open. */
    @Override
    public void close() throws IOException {
        closed = true;
        appender.refuseAppends();
        log.stopAppends();
        subscriptions.completeAll();
        stopNotifying();
        index.close();
    }

    private void stopNotifying() {
        log.removeCommitListener(commitListener);
        notifier.close();
    }
}
