package io.strand.cluster;

import io.strand.store.Replica;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The Raft state machine: every replica applies each committed entry, in log order, to its own
 * store ({@link Replica}), which checks expected versions and repeats the same way everywhere and
 * writes the entry's Raft index and timestamp into the records: the replicas' CommitLogs are the
 * same bytes. After a restart the CommitLog says which entries it holds ({@link Replica#lastRaftIndex()}):
 * those are skipped, the rest applied again.
 *
 * <p>A snapshot is the CommitLog: taking one forces the log up to what has been applied and records
 * {@code (term, index, position)} in a {@link SnapshotFile}; Ratis may then purge its own log. A
 * follower behind the leader's purge point is told to install the leader's snapshot
 * ({@link #notifyInstallSnapshotFromLeader}): it copies the leader's CommitLog up to the snapshot's
 * position ({@link LogCopier}) on a thread of its own, then records the snapshot as its own.
 *
 * <p>A failure of this replica's own log (not a refusal, which every replica makes alike) stops the
 * replica: it cannot apply the entry, so it must not apply the next ones.
 */
final class StoreStateMachine extends BaseStateMachine {
    private static final System.Logger LOG = System.getLogger(StoreStateMachine.class.getName());
    static final Message QUERY_POSITION = Message.valueOf("position");

    private final Replica replica;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final AppliedIndex applied = new AppliedIndex();
    private final AtomicLong leaderChanges = new AtomicLong();
    private volatile RaftPeerId leader;
    private volatile Throwable failure;
    /**
     * Held while entries (or copied records) go to the store and while a snapshot is taken: a copy
     * from the leader and Ratis's applying thread never write at the same time.
     */
    private final ReentrantLock applying = new ReentrantLock();
    /** Entries up to here are in the CommitLog already (before a restart, or copied): skipped. Under {@link #applying}. */
    private long skipThrough;
    /** The entry the log held last at the start (0: none): when it comes, only its missing commands are applied. Under {@link #applying}. */
    private long resumeAt;
    private volatile SnapshotFile snapshot;
    /** Ratis asks for it on every append from the leader; the storage would list its directory each time while there is none. */
    private volatile SingleFileSnapshotInfo latestSnapshot;
    private volatile java.util.function.Consumer<RaftPeerId> leaderListener = l -> { };
    private volatile java.util.function.LongConsumer leaderReady = t -> { };
    private final SnapshotInstaller installer;
    private final EntryApplier applier;
    private final SnapshotTrigger snapshots;

    /**
     * {@code leaderLogs}: how to read a leader's snapshot and log, by its peer id (null: unknown
     * peer); {@code snapshotBytes}: entry bytes applied between snapshots ({@link SnapshotTrigger}).
     */
    StoreStateMachine(Replica replica, Function<String, LeaderLog> leaderLogs, long snapshotBytes) {
        this.replica = replica;
        this.snapshots = new SnapshotTrigger(snapshotBytes);
        this.installer = new SnapshotInstaller(this, replica, leaderLogs);
        this.applier = new EntryApplier(replica, this::stop);
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().transition(LifeCycle.State.STARTING);
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        reinitialize();
    }

    /** At start, and after a snapshot was installed (Ratis pauses the state machine, then reloads it). */
    @Override
    public void reinitialize() throws IOException {
        applying.lock();
        try {
            SingleFileSnapshotInfo info = storage.loadLatestSnapshot();
            latestSnapshot = info;
            long held = replica.lastRaftIndex();
            // The last entry the log holds may hold only some of its commands: it is applied again, from the first missing one.
            skipThrough = held - 1;
            resumeAt = held;
            if (info != null) {
                SnapshotFile s = SnapshotFile.read(info.getFile().getPath());
                // Positions, not indexes: the last entries before a snapshot may have written nothing (refusals).
                if (s.position() > replica.committedPosition()) {
                    throw new IOException("the snapshot " + info.getTermIndex() + " says the CommitLog holds records up to "
                            + s.position() + " but it ends at " + replica.committedPosition()
                            + ": was the data directory replaced?");
                }
                skipThrough = Math.max(held - 1, s.index());
                snapshot = s;
                advanceApplied(info.getTerm(), info.getIndex());
            }
            LOG.log(System.Logger.Level.INFO, "replica state: snapshot=" + (info == null ? "none" : info.getTermIndex())
                    + ", CommitLog holds Raft entries up to " + held);
        } finally {
            applying.unlock();
        }
        LifeCycle.State state = getLifeCycleState();
        if (state == LifeCycle.State.STARTING || state == LifeCycle.State.PAUSED) {
            if (state == LifeCycle.State.PAUSED) {
                getLifeCycle().transition(LifeCycle.State.STARTING);
            }
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    /** Before a reload after an installed snapshot (Ratis checks the state machine is paused). */
    @Override
    public void pause() {
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        return latestSnapshot;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        CompletionStage<byte[]> answer;
        applying.lock();
        try {
            if (index <= skipThrough) {
                answer = CompletableFuture.completedFuture(ReplyDescriptor.of(ReplyDescriptor.REPLAYED));
            } else {
                List<Command> commands = CommandDescriptor.decodeEntry(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
                int held = 0;
                if (index == resumeAt) {
                    held = EntryApplier.held(replica, commands, index);
                    LOG.log(System.Logger.Level.INFO, "Raft entry " + index + ", the last the CommitLog holds: it holds "
                            + held + " of its " + commands.size() + " commands; applying the rest");
                }
                answer = applier.apply(commands, held, index, entry.getTerm());
            }
            advanceApplied(entry.getTerm(), index);
            snapshots.applied(entry.getSerializedSize());
        } finally {
            applying.unlock();
        }
        return answer.toCompletableFuture().thenApply(b -> Message.valueOf(UnsafeByteOperations.unsafeWrap(b)));
    }

    /** This replica's log failed under entry {@code index}: stop applying, and stop the Raft server. */
    private void stop(long index, Throwable cause) {
        if (failure != null) {
            return;
        }
        failure = cause;
        LOG.log(System.Logger.Level.ERROR, "the replica cannot apply Raft entry " + index
                + "; stopping its Raft server (it catches up from the others after a restart)", cause);
        applied.failAll(cause);
        Thread stopper = new Thread(() -> getServer().thenAccept(s -> {
            try {
                s.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "stopping the Raft server failed", e);
            }
        }), "strand-raft-stop");
        stopper.setDaemon(true);
        stopper.start();
    }

    /** A read that needs what was applied up to now: answers the committed position, once readable. */
    @Override
    public CompletableFuture<Message> query(Message request) {
        long written = replica.writtenPosition();
        return replica.awaitCommitted(written).toCompletableFuture().thenApply(x -> {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, replica.committedPosition());
            return Message.valueOf(UnsafeByteOperations.unsafeWrap(b.array()));
        });
    }

    @Override
    public long takeSnapshot() throws IOException {
        long start = System.nanoTime();
        applying.lock(); // a copy from the leader may be writing: the snapshot is taken between its chunks
        try {
            TermIndex last = getLastAppliedTermIndex();
            if (last == null || last.getIndex() <= 0) {
                return -1;
            }
            long flushed = flush();
            long forced = System.nanoTime();
            recordSnapshot(new SnapshotFile(last.getTerm(), last.getIndex(), flushed));
            // Nothing applies meanwhile (Ratis calls this on its applying thread): its time is every waiting append's.
            LOG.log(System.Logger.Level.INFO, "snapshot at Raft index " + last.getIndex() + ": "
                    + (forced - start) / 1_000_000 + " ms to take the applying lock and force the CommitLog, "
                    + (System.nanoTime() - forced) / 1_000_000 + " ms to write the snapshot file");
            return last.getIndex();
        } finally {
            applying.unlock();
        }
    }

    /** Forces the log up to what it holds; the position below which it is durable. Under {@link #applying}. */
    long flush() throws IOException {
        try {
            return replica.flushWritten().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("snapshot: forcing the CommitLog failed", e);
        }
    }

    /** Writes {@code s} as this replica's latest snapshot (the log is forced up to its position). Under {@link #applying}. */
    void recordSnapshot(SnapshotFile s) throws IOException {
        java.io.File file = storage.getSnapshotFile(s.term(), s.index());
        s.write(file.toPath());
        SingleFileSnapshotInfo info = new SingleFileSnapshotInfo(new FileInfo(file.toPath(), null),
                TermIndex.valueOf(s.term(), s.index()));
        storage.updateLatestSnapshot(info);
        latestSnapshot = info;
        snapshot = s;
        snapshots.taken();
        LOG.log(System.Logger.Level.INFO, "snapshot " + s);
    }

    /**
     * The log now holds what a snapshot from the leader holds (copied): entries up to its index are
     * skipped when Ratis gets to them, and it counts as applied. Under {@link #applying}.
     */
    void installed(SnapshotFile s) {
        skipThrough = Math.max(skipThrough, s.index());
        advanceApplied(s.term(), s.index());
    }

    /** Entries up to {@code raftIndex} were copied into the log. Under {@link #applying}. */
    void copiedThrough(long raftIndex) {
        skipThrough = Math.max(skipThrough, raftIndex);
    }

    /**
     * An entry that is not the state machine's (a leader's first entry of its term, a configuration)
     * was applied: it counts as applied here too, or a wait for the commit index would hang until
     * the next append.
     */
    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        applying.lock();
        try {
            advanceApplied(term, index);
        } finally {
            applying.unlock();
        }
    }

    /** Never backwards: a copy from the leader may have moved past entries Ratis still replays. */
    private void advanceApplied(long term, long index) {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || index > last.getIndex()) {
            updateLastAppliedTermIndex(term, index);
            applied.advance(index);
        }
    }

    /**
     * Ratis asks this follower to install the leader's snapshot (the leader purged entries it needs).
     * Completes, on the installer's own thread, with the snapshot this replica's state now reflects;
     * exceptionally when the copy failed (Ratis asks again later).
     */
    @Override
    public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto roleInfo, TermIndex firstTermIndexInLog) {
        String leaderId = null;
        if (roleInfo != null && roleInfo.hasFollowerInfo() && roleInfo.getFollowerInfo().hasLeaderInfo()) {
            leaderId = roleInfo.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8();
        }
        if ((leaderId == null || leaderId.isEmpty()) && leader != null) {
            leaderId = leader.toString();
        }
        return installer.install(leaderId, firstTermIndexInLog);
    }

    @Override
    public void close() throws IOException {
        installer.close();
        super.close();
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        leader = newLeaderId;
        leaderChanges.incrementAndGet();
        leaderListener.accept(newLeaderId);
    }

    /**
     * This member leads, and has applied every entry of the terms before its own (Ratis applies a
     * leader's first entry of its term, then says it is ready): what the store holds now is all the
     * earlier leaders had committed.
     */
    @Override
    public void notifyLeaderReady() {
        long term;
        try {
            term = getServer().join().getDivision(getGroupId()).getInfo().getCurrentTerm();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "leader ready, but its term is unknown", e);
            return;
        }
        leaderReady.accept(term);
    }

    /** Snapshots by bytes are asked for through {@code local} (built after this state machine, with the server). */
    void askSnapshotsThrough(LocalRequests local) {
        snapshots.askThrough(local);
    }

    /** Told the term when this member becomes a ready leader, on Ratis's thread: it must not block. */
    void onLeaderReady(java.util.function.LongConsumer listener) {
        leaderReady = listener;
    }

    /** Told of every leader this member learns of (null: none known), on Ratis's thread: it must not block. */
    void onLeaderChange(java.util.function.Consumer<RaftPeerId> listener) {
        leaderListener = listener;
    }

    AppliedIndex applied() {
        return applied;
    }

    long leaderChanges() {
        return leaderChanges.get();
    }

    RaftPeerId leader() {
        return leader;
    }

    Throwable failure() {
        return failure;
    }

    ReentrantLock applyingLock() {
        return applying;
    }

    /** This replica's latest snapshot (null: none). */
    SnapshotFile snapshot() {
        return snapshot;
    }

    long snapshotsInstalled() {
        return installer.installs();
    }
}
