package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.LogException;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * The store as a replica of a replicated log sees it: entries applied in the log's order with the
 * timestamp and Raft index they carry (written into the records, so every replica writes the same
 * bytes and knows after a crash which entries its log holds), and the positions and flushes that
 * snapshots and read-your-writes waits need. The cluster layer holds this; the store does not know
 * whether it is replicated. Thread-safe; the apply methods are called from one thread, in order.
 */
public final class Replica {
    private final CommitLog log;
    private final Appender appender;
    private final ConsumerGroups groups;
    private final CommitWaiters commitWaiters;
    private final CopiedRecords copied;
    private final StreamLifecycle lifecycle;
    /**
     * Where the records of the apply calls that returned end: Raft's applied index as positions.
     * Stream indexes are published before the log can commit (see {@code Appender.place}); what an
     * apply call changes besides (metadata, a group's state) is changed before it returns, so a
     * read that waits for this sees all of the entries up to it, not only their records.
     */
    private volatile long applied;
    private final CommitWaiters appliedWaiters;

    Replica(CommitLog log, Appender appender, ConsumerGroups groups, CommitWaiters commitWaiters,
            StreamLifecycle lifecycle, java.util.concurrent.Executor notifier) {
        this.applied = log.writtenPosition(); // what the log held at open is indexed before the store serves reads
        this.appliedWaiters = new CommitWaiters(() -> Math.min(log.committedPosition(), applied), notifier);
        this.lifecycle = lifecycle;
        this.log = log;
        this.appender = appender;
        this.groups = groups;
        this.commitWaiters = commitWaiters;
        this.copied = new CopiedRecords(log, appender, groups, lifecycle);
    }

    /**
     * How far {@link #applyCopied} got: where this log's committed records now end, the Raft index of
     * the last batch it applied (0: none), how many records it applied, and whether it stopped at a
     * batch beyond the Raft index it was given.
     */
    public record Copied(long position, long raftIndex, int records, boolean reachedLimit) {
    }

    /**
     * Applies an append from a replicated log: called for each entry in the log's order, on one
     * thread, with the entry's {@code timestampMillis} and {@code raftIndex} (both written into the
     * records), so that every replica decides the same outcome and writes the same bytes. It may wait
     * (block) for the stream's previous append to commit; the stage completes once this one is
     * committed, or fails as {@link EventStore#append(String, List, long, Durability)} would (a refusal that is
     * the same on every replica: bad batch, conflict) or with a {@link LogException} (this replica's
     * log failed; it cannot go on applying). {@code freshIds}: the accepting node made every id (a
     * client's re-send cannot carry them, only the same command applied again), so the first id
     * decides the repeat check.
     */
    public CompletionStage<AppendOutcome> applyReplicated(String stream, List<NewEvent> events, long expectedVersion,
                                                          boolean freshIds, long timestampMillis, long raftIndex) {
        return applied(appender.applyInOrder(stream, events, expectedVersion, true, freshIds, timestampMillis, raftIndex));
    }

    /** Applies a consumer-group commit from a replicated log (see {@link #applyReplicated}); {@code id} is the commit's event id. */
    public CompletionStage<Void> applyGroupCommit(String group, String stream, long version, java.util.UUID id,
                                                  long timestampMillis, long raftIndex) {
        return applied(groups.commit(group, stream, version, id, event -> appender.applyInOrder(ConsumerGroups.STREAM,
                List.of(event), ExpectedVersion.ANY, false, false, timestampMillis, raftIndex)));
    }

    /**
     * Applies a stream lifecycle change from a replicated log (see {@link #applyReplicated}): after
     * the stream's in-flight append, so every replica decides it at the same version; {@code id} is
     * the {@code $meta} event's id, chosen once by the accepting node.
     */
    public CompletionStage<Void> applyStreamChange(String stream, StreamChange change, long expectedVersion,
                                                   UUID id, long timestampMillis, long raftIndex) {
        lifecycle.awaitInFlight(stream);
        return applied(lifecycle.change(stream, change, expectedVersion, id, event -> appender.applyInOrder(
                StreamLifecycle.STREAM, List.of(event), ExpectedVersion.ANY, false, false, timestampMillis, raftIndex)));
    }

    /**
     * Applies an append to one of the store's own streams from a replicated log (see
     * {@link #applyReplicated}): a subsystem's state, such as a shared group's, written only by the
     * leader that runs it; no name check (the names start with {@code $}) and no repeat check (its
     * ids are fresh). The streams with commands of their own ({@code $meta}, {@code $groups}) are refused.
     */
    public CompletionStage<AppendOutcome> applySystem(String stream, List<NewEvent> events, long timestampMillis,
                                                      long raftIndex) {
        if (!stream.startsWith("$") || StreamLifecycle.STREAM.equals(stream) || ConsumerGroups.STREAM.equals(stream)) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new InvalidRequestException("not a subsystem's stream: " + stream));
        }
        return applied(appender.applyInOrder(stream, events, ExpectedVersion.ANY, false, false, timestampMillis, raftIndex));
    }

    /** As {@link #holdsAppend} for a stream change whose {@code $meta} event id is {@code id}. */
    public boolean holdsStreamChange(UUID id, long raftIndex) {
        return appender.holdsInEntry(StreamLifecycle.STREAM, id, raftIndex);
    }

    /** Validates a stream change's stream name ({@link InvalidRequestException}) without making it. */
    public static void checkStreamChange(String stream) {
        StreamNames.check("stream", stream);
    }

    /**
     * Applies records copied from another replica's CommitLog, as {@code GET /log} sends them: whole
     * committed records of one segment from {@code position}, which must be where this log's
     * committed (and written) records end. Every record is verified, the batches are applied again in
     * order as replicated appends (their own timestamps and Raft indexes; {@code $groups} commits
     * through the groups), up to the last whole batch whose Raft index is at most {@code maxRaftIndex}.
     * Blocks until they are committed and checked to be the copied bytes exactly. Called on the
     * applying thread (or while it waits). Throws {@link IllegalArgumentException} for bytes that fail
     * their checks (nothing of them is applied then), {@link IllegalStateException}
     * when this log diverged from the source, {@link LogException} when this log failed.
     */
    public Copied applyCopied(java.nio.ByteBuffer bytes, long position, long maxRaftIndex) {
        return applied(copied.apply(bytes, position, maxRaftIndex));
    }

    /**
     * Whether the log holds the records of an append of {@code stream} whose first event is {@code id}
     * and that Raft entry {@code raftIndex}, the log's last entry, wrote. An entry may carry several
     * commands; after a crash in the middle of applying one, this tells which of them the log holds.
     */
    public boolean holdsAppend(String stream, UUID id, long raftIndex) {
        return appender.holdsInEntry(stream, id, raftIndex);
    }

    /** As {@link #holdsAppend} for a consumer-group commit whose event id is {@code id}. */
    public boolean holdsGroupCommit(UUID id, long raftIndex) {
        return appender.holdsInEntry(ConsumerGroups.STREAM, id, raftIndex);
    }

    /** Validates a consumer-group commit ({@link InvalidRequestException}) without making it. */
    public static void checkGroupCommit(String group, String stream, long version) {
        ConsumerGroups.check(group, stream, version);
    }

    /** The Raft index of the last replicated entry the log holds (0: none). */
    public long lastRaftIndex() {
        return log.lastRaftIndex();
    }

    /** Where the committed (readable) log ends. */
    public long committedPosition() {
        return log.committedPosition();
    }

    /** Where the written log ends: every append made so far lies below it (committed or about to be). */
    public long writtenPosition() {
        return log.writtenPosition();
    }

    /** Completes (on the store's notifier) once the log has committed up to {@code position}. */
    public CompletionStage<Void> awaitCommitted(long position) {
        return commitWaiters.await(position);
    }

    /**
     * Completes (on the store's notifier) once this replica has applied and committed the log up to
     * {@code position}: what the entries up to it changed is in place, not only their records.
     */
    public CompletionStage<Void> awaitApplied(long position) {
        return appliedWaiters.await(position);
    }

    /** From the commit thread: what it committed may let waiters for applied positions go. */
    void committed(long position) {
        appliedWaiters.committed(position);
    }

    /** After an apply call returned (its records reserved and their index entries published): they count as applied. */
    private <T> T applied(T result) {
        long p = log.writtenPosition();
        applied = p;
        appliedWaiters.committed(p);
        return result;
    }

    /**
     * Forces everything appended so far to disk: waits for it to be committed, then flushed.
     * Completes with the position below which the log is durable.
     */
    public CompletionStage<Long> flushWritten() {
        long written = log.writtenPosition();
        return awaitCommitted(written).thenCompose(x -> log.awaitFlush(written));
    }

}
