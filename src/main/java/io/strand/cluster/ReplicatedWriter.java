package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.EventWriter;
import io.strand.store.NewEvent;
import io.strand.store.Replica;
import io.strand.store.StoreUnavailableException;
import io.strand.store.StreamChange;
import io.strand.store.WriteDurability;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Appends and group commits through the Raft log: the request becomes one command, encoded once
 * here, sent by the Ratis client to the leader (which follows redirects and retries within the
 * request timeout). The answer is the leader's state machine's; this node gives it only once it has
 * applied the entry itself and its log has committed it, so a read here right after sees the write.
 * Every failure to get an answer is a {@link StoreUnavailableException} with an unknown outcome:
 * re-sending the same event ids is safe (the replicas' repeat check makes it exactly-once).
 */
final class ReplicatedWriter implements EventWriter {
    private final RaftClients clients;
    private final LocalRequests local;
    private final Replica replica;
    private final AppliedIndex applied;
    private final long timeoutMillis;
    private final EntryCoalescer coalescer;
    private final java.util.function.BooleanSupplier leading;
    private final java.util.concurrent.atomic.AtomicBoolean nudging = new java.util.concurrent.atomic.AtomicBoolean();
    /** The highest entry a nudge was asked for. */
    private final java.util.concurrent.atomic.AtomicLong wanted = new java.util.concurrent.atomic.AtomicLong();
    /**
     * How long a follower that applied nothing since the leader answered an entry waits before it
     * asks for the commit index. Under load entries keep coming and carry it: asking then only
     * added heartbeat rounds (through a follower: 700 single appends/s against 1,029, p99 95 ms
     * against 50, when it asked after 2 ms whatever was applied meanwhile).
     */
    static final long NUDGE_AFTER_MILLIS = 5;
    private static final Executor NUDGE_LATER = RaftTimer.after(NUDGE_AFTER_MILLIS);

    ReplicatedWriter(RaftClients clients, LocalRequests local, Replica replica, AppliedIndex applied, Duration timeout, long maxEntryBytes,
                     java.util.function.BooleanSupplier leading) {
        this.leading = leading;
        this.clients = clients;
        this.local = local;
        this.replica = replica;
        this.applied = applied;
        this.timeoutMillis = timeout.toMillis();
        this.coalescer = new EntryCoalescer(this::sendEntry, ENTRIES_IN_FLIGHT, maxEntryBytes);
    }

    /**
     * Entries this node has on its way at once; the commands that arrive meanwhile go in the next
     * one. One: on this project's 2-vCPU machine, where an entry's cost is mostly per entry, one in
     * flight gave more appends/s and lower latency than two or four at every load tried (64 single
     * appends in flight through the leader: 406/s against 317 and 194; 4 in flight: p50 34 ms
     * against 45 and 51).
     */
    static final int ENTRIES_IN_FLIGHT = 1;

    @Override
    public CompletionStage<AppendOutcome> write(String stream, List<NewEvent> events, long expectedVersion,
                                                 WriteDurability durability, Executor coldReads, boolean freshIds) {
        Command.Append command = new Command.Append(stream, expectedVersion, System.currentTimeMillis(), events, freshIds);
        // Ids this node just made (random) cannot meet another command's in one entry: the coalescer
        // need not track them (100 set inserts per batch of 100 on the node that took it).
        return send(command, freshIds ? List.of() : ids(events)).thenApply(reply -> ReplyDescriptor.outcome(reply, stream, durability));
    }

    @Override
    public CompletionStage<Void> commitGroup(String group, String stream, long version) {
        try {
            Replica.checkGroupCommit(group, stream, version);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        Command.GroupCommit command = new Command.GroupCommit(group, stream, version, UUID.randomUUID(),
                System.currentTimeMillis());
        return send(command, List.of(command.id())).thenApply(reply -> {
            ReplyDescriptor.outcome(reply, stream, null);
            return null;
        });
    }

    @Override
    public CompletionStage<Void> changeStream(String stream, StreamChange change, long expectedVersion) {
        try {
            Replica.checkStreamChange(stream);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        Command.ChangeStream command = new Command.ChangeStream(stream, change, expectedVersion, UUID.randomUUID(),
                System.currentTimeMillis());
        return send(command, List.of(command.id())).thenApply(reply -> {
            ReplyDescriptor.outcome(reply, stream, null);
            return null;
        });
    }

    /** Appends to one of the store's own streams, fenced by {@code term} ({@link Command.SystemAppend}). */
    CompletionStage<AppendOutcome> writeSystem(long term, String stream, List<NewEvent> events) {
        Command.SystemAppend command = new Command.SystemAppend(term, stream, System.currentTimeMillis(), events);
        return send(command, ids(events)).thenApply(reply -> ReplyDescriptor.outcome(reply, stream, null));
    }

    private static List<UUID> ids(List<NewEvent> events) {
        List<UUID> ids = new java.util.ArrayList<>(events.size()); // a sized loop: this runs per append
        for (NewEvent e : events) {
            ids.add(e.id());
        }
        return ids;
    }

    /** Sends {@code command} in this node's next entry; completes once this node applied and committed it. */
    private CompletionStage<ByteBuffer> send(Command command, List<UUID> ids) {
        return coalescer.submit(CommandDescriptor.encode(command), ids)
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .exceptionally(e -> {
                    throw unavailable("no answer from the Raft leader", e);
                })
                .thenCompose(a -> appliedHere(a.logIndex()).thenApply(x -> a.content()));
    }

    /**
     * One entry through Raft: its answer. On the leader its own server takes it in-process
     * ({@link LocalRequests}); a refusal there (leadership just moved, not ready yet) and every
     * entry on a follower go through the Ratis client ({@link RaftClients#send}).
     */
    private CompletableFuture<EntryCoalescer.Answer> sendEntry(byte[] entry) {
        Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(entry));
        CompletableFuture<RaftClientReply> sent = !leading.getAsBoolean() ? throughClient(message)
                : local.write(message, timeoutMillis)
                        .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                        .handle((reply, e) -> {
                            if (e == null && (reply.isSuccess() || reply.getException() instanceof StateMachineException)) {
                                return CompletableFuture.completedFuture(reply);
                            }
                            // The time is up: its outcome is unknown, and a second try would take as long again.
                            return e instanceof TimeoutException ? CompletableFuture.<RaftClientReply>failedFuture(e)
                                    : throughClient(message);
                        })
                        .thenCompose(f -> f);
        return sent
                .handle((reply, e) -> {
                    if (e != null) {
                        throw unavailable("no answer from the Raft leader", e);
                    }
                    if (!reply.isSuccess()) {
                        throw unavailable("the Raft group did not apply the append", reply.getException());
                    }
                    return new EntryCoalescer.Answer(reply.getLogIndex(), reply.getMessage().getContent().asReadOnlyByteBuffer());
                });
    }

    private CompletableFuture<RaftClientReply> throughClient(Message message) {
        return clients.send(c -> c.async().send(message), timeoutMillis);
    }

    /** The Raft client was replaced (a new leader): see {@link EntryCoalescer#abandonInFlight()}. */
    void abandonInFlight() {
        coalescer.abandonInFlight();
    }

    /** Entries this node sent through Raft and the commands they carried. */
    long[] entriesAndCommands() {
        return coalescer.counts();
    }

    /** Completes once this node applied entry {@code raftIndex} and its log committed what that wrote. */
    private CompletionStage<Void> appliedHere(long raftIndex) {
        long seen = applied.get();
        if (seen < raftIndex && !leading.getAsBoolean()) {
            NUDGE_LATER.execute(() -> {
                if (applied.get() == seen) { // nothing applied meanwhile: the log is quiet, no entry brings the commit
                    nudge(raftIndex);
                }
            });
        }
        return applied.await(raftIndex)
                .thenCompose(x -> replica.awaitCommitted(replica.writtenPosition()))
                .toCompletableFuture()
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .exceptionally(e -> {
                    throw unavailable("this node did not apply the entry in time", e);
                });
    }

    /**
     * A follower learns that an entry is committed from the leader's next AppendEntries. With no new
     * entry to send, Ratis's appender sends the new commit index only with the next heartbeat (half
     * the election timeout, 500 ms by default: seen as 550 ms per append through an idle follower),
     * though it means to send it at once (GrpcLogAppender#isFollowerCommitBehindLastCommitIndex finds
     * nothing to send without a heartbeat). A ReadIndex from this follower makes the leader send it a
     * heartbeat at once (RaftServerImpl#readIndexAsync), so one is asked for when the log is quiet,
     * one at a time.
     */
    private void nudge(long raftIndex) {
        long wanted = this.wanted.accumulateAndGet(raftIndex, Math::max);
        if (applied.get() >= wanted || !nudging.compareAndSet(false, true)) {
            return;
        }
        linearizable().whenComplete((x, e) -> {
            nudging.set(false);
            long w = this.wanted.get();
            if (e == null && applied.get() < w) {
                nudge(w); // answered before the leader committed the later ones: ask again
            }
        });
    }

    /**
     * See {@link EventWriter#linearizable()}: Raft ReadIndex, confirmed by the leader with a majority;
     * {@link StoreUnavailableException} without a leader or a majority within the request timeout.
     * This node's own server takes the read
     * ({@link LocalRequests}), not the Raft client: through the client's ordered window a ReadIndex
     * waited behind requests to a leader that had died, timing out (10 s after a failover in
     * ReplicatedGroupsTest; 30 s of failed appends after a SIGKILL of the leader in the cluster
     * benchmark once followers asked for ReadIndexes), and its unordered reads started a thread each.
     */
    @Override
    public CompletionStage<Void> linearizable() {
        return local.read(StoreStateMachine.QUERY_POSITION, timeoutMillis)
                .handle((reply, e) -> {
                    if (e != null || !reply.isSuccess()) {
                        Throwable c = e != null ? e : reply.getException();
                        c = c instanceof CompletionException && c.getCause() != null ? c.getCause() : c;
                        throw new CompletionException(new StoreUnavailableException("no linearizable read without a leader"
                                + " and a majority (" + (c instanceof TimeoutException ? "timed out" : String.valueOf(c))
                                + "); retry, or read without Consistency: linearizable", 1));
                    }
                    return null;
                });
    }

    /** Raft's applied index as positions: what an apply call changes besides the records is done too. */
    @Override
    public CompletionStage<Void> awaitPosition(long position) {
        return replica.awaitApplied(position + 1);
    }

    long appliedPosition() {
        return replica.committedPosition();
    }

    private static CompletionException unavailable(String what, Throwable cause) {
        Throwable c = cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof StoreUnavailableException u) {
            return new CompletionException(u);
        }
        String why = c instanceof TimeoutException ? "timed out" : String.valueOf(c);
        return new CompletionException(new StoreUnavailableException(what + " (" + why
                + "); the outcome is unknown: re-send the same event ids", 1));
    }
}
