package io.strand.cluster;

import io.strand.store.Replica;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Raft state machine: every replica applies each committed entry, in log order, to its own
 * store ({@link Replica}), which checks expected versions and repeats the same way everywhere and
 * writes the entry's Raft index and timestamp into the records: the replicas' CommitLogs are the
 * same bytes. After a restart the CommitLog says which entries it holds ({@link Replica#lastRaftIndex()}):
 * those are skipped, the rest applied again.
 *
 * <p>A snapshot is the CommitLog: taking one forces the log up to what has been applied and records
 * {@code (term, index, position)} in a {@link SnapshotFile}; Ratis may then purge its own log.
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
    /** Entries up to here were in the CommitLog when this replica started: applied before, skipped now. */
    private long skipThrough;

    StoreStateMachine(Replica replica) {
        this.replica = replica;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        reinitialize();
    }

    @Override
    public void reinitialize() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        skipThrough = replica.lastRaftIndex();
        if (snapshot != null) {
            SnapshotFile s = SnapshotFile.read(snapshot.getFile().getPath());
            if (s.index() > skipThrough) {
                throw new IOException("the snapshot says the CommitLog holds Raft entries up to " + s.index()
                        + " but it holds entries up to " + skipThrough + " only: was the data directory replaced?");
            }
            updateLastAppliedTermIndex(snapshot.getTermIndex());
            applied.advance(snapshot.getIndex());
        }
        LOG.log(System.Logger.Level.INFO, "replica state: snapshot=" + (snapshot == null ? "none" : snapshot.getTermIndex())
                + ", CommitLog holds Raft entries up to " + skipThrough);
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        return storage.getLatestSnapshot();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        CompletionStage<byte[]> answer;
        if (index <= skipThrough) {
            answer = CompletableFuture.completedFuture(ReplyDescriptor.of(ReplyDescriptor.REPLAYED));
        } else {
            answer = apply(CommandDescriptor.decode(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer()), index);
        }
        updateLastAppliedTermIndex(entry.getTerm(), index);
        applied.advance(index);
        return answer.toCompletableFuture().thenApply(b -> Message.valueOf(UnsafeByteOperations.unsafeWrap(b)));
    }

    private CompletionStage<byte[]> apply(Command command, long index) {
        CompletionStage<byte[]> result;
        if (command instanceof Command.Append a) {
            result = replica.applyReplicated(a.stream(), a.events(), a.expectedVersion(), a.timestampMillis(), index)
                    .thenApply(ReplyDescriptor::appended);
        } else {
            Command.GroupCommit g = (Command.GroupCommit) command;
            result = replica.applyGroupCommit(g.group(), g.stream(), g.version(), g.id(), g.timestampMillis(), index)
                    .thenApply(x -> ReplyDescriptor.of(ReplyDescriptor.GROUP_COMMITTED));
        }
        return result.handle((bytes, e) -> {
            if (e == null) {
                return bytes;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            byte[] refused = ReplyDescriptor.refused(cause);
            if (refused != null) {
                return refused;
            }
            stop(index, cause);
            throw new CompletionException(cause);
        });
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
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() <= 0) {
            return -1;
        }
        long position;
        try {
            position = replica.flushWritten().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("snapshot: forcing the CommitLog failed", e);
        }
        java.io.File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        new SnapshotFile(last.getTerm(), last.getIndex(), position).write(file.toPath());
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), null), last));
        LOG.log(System.Logger.Level.INFO, "snapshot " + last + " at CommitLog position " + position);
        return last.getIndex();
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        leader = newLeaderId;
        leaderChanges.incrementAndGet();
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
}
