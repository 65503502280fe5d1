package io.strand.cluster;

import io.strand.store.NewEvent;
import io.strand.store.Replica;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * Applies a Raft entry's commands to this replica's store, in order, and answers each with the
 * bytes every replica gives alike ({@link ReplyDescriptor}): the outcome, or a refusal. A failure of
 * the replica's own log is no answer: it goes to {@code onLogFailure} (the state machine stops).
 */
final class EntryApplier {
    private final Replica replica;
    private final BiConsumer<Long, Throwable> onLogFailure;

    EntryApplier(Replica replica, BiConsumer<Long, Throwable> onLogFailure) {
        this.replica = replica;
        this.onLogFailure = onLogFailure;
    }

    /** Applies an entry's commands from {@code from} on (those before it are in the log already), in order. */
    CompletionStage<byte[]> apply(List<Command> commands, int from, long index, long term) {
        byte[] replayed = ReplyDescriptor.of(ReplyDescriptor.REPLAYED);
        if (commands.size() == 1) {
            return from == 1 ? CompletableFuture.completedFuture(replayed) : apply(commands.get(0), index, term);
        }
        List<CompletableFuture<byte[]>> answers = new ArrayList<>(commands.size());
        for (int i = 0; i < commands.size(); i++) {
            answers.add(i < from ? CompletableFuture.completedFuture(replayed) : apply(commands.get(i), index, term).toCompletableFuture());
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(x -> ReplyDescriptor.several(answers.stream().map(CompletableFuture::join).toList()));
    }

    /**
     * How many of the commands of entry {@code index}, the last one the CommitLog holds at a start,
     * it holds: a crash may have come while the entry's commands were being applied. Those up to the
     * last one whose records are there were applied (a refused one writes nothing, and is decided the
     * same way before it); the rest were not. A node never puts the same event id in two commands of
     * one entry ({@link EntryCoalescer}), so a record found is its own command's.
     */
    static int held(Replica replica, List<Command> commands, long index) {
        for (int i = commands.size() - 1; i >= 0; i--) {
            Command c = commands.get(i);
            boolean holds = c instanceof Command.Append a ? holdsAppend(replica, a.stream(), a.events(), index)
                    : c instanceof Command.SystemAppend a ? holdsAppend(replica, a.stream(), a.events(), index)
                    : c instanceof Command.ChangeStream s ? replica.holdsStreamChange(s.id(), index)
                    : replica.holdsGroupCommit(((Command.GroupCommit) c).id(), index);
            if (holds) {
                return i + 1;
            }
        }
        return 0;
    }

    private static boolean holdsAppend(Replica replica, String stream, List<NewEvent> events, long index) {
        return !events.isEmpty() && replica.holdsAppend(stream, events.get(0).id(), index);
    }

    private CompletionStage<byte[]> apply(Command command, long index, long term) {
        CompletionStage<byte[]> result;
        if (command instanceof Command.SystemAppend a) {
            if (a.term() != term) { // sent by a leader's subsystem after a later leader took over: refused everywhere alike
                return CompletableFuture.completedFuture(ReplyDescriptor.of(ReplyDescriptor.STALE_TERM));
            }
            result = replica.applySystem(a.stream(), a.events(), a.timestampMillis(), index).thenApply(ReplyDescriptor::appended);
        } else if (command instanceof Command.Append a) {
            result = replica.applyReplicated(a.stream(), a.events(), a.expectedVersion(), a.freshIds(), a.timestampMillis(), index)
                    .thenApply(ReplyDescriptor::appended);
        } else if (command instanceof Command.ChangeStream c) {
            result = replica.applyStreamChange(c.stream(), c.change(), c.expectedVersion(), c.id(), c.timestampMillis(), index)
                    .thenApply(x -> ReplyDescriptor.of(ReplyDescriptor.STREAM_CHANGED));
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
            onLogFailure.accept(index, cause);
            throw new CompletionException(cause);
        });
    }
}
