package io.strand.cluster;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Group commit for the Raft log: the commands that reach this node while {@code maxInFlight} of
 * its entries are on their way wait, and the next entry carries all of them (up to
 * {@code maxEntryBytes}). A Raft entry costs the same forces, round trips and thread hand-offs on
 * three replicas whether it holds one append or fifty, so under load the group commits as many
 * appends per second as there are appends per entry times entries per second; an idle node sends
 * each command at once, alone.
 *
 * <p>No two commands of one entry share an event id (a command that would is held for the next
 * entry): after a crash in the middle of an entry, the records the log holds then say which of its
 * commands were applied ({@link StoreStateMachine}). A command whose caller gave up (its future is
 * done) before it was sent is dropped. Thread-safe.
 */
final class EntryCoalescer {
    /**
     * An answer with the Raft log index of its entry: the sent entry's (one command's bytes, or
     * several's), or one command's own part of it.
     */
    record Answer(long logIndex, ByteBuffer content) {
    }

    /** One command: its bytes, its event ids, and its own part of the entry's answer. */
    private record Pending(byte[] command, List<UUID> ids, CompletableFuture<Answer> answer) {
    }

    /** An entry's commands and the generation of the slots it took ({@link #abandonInFlight}). */
    private record Entry(List<Pending> commands, long generation) {
    }

    private final Function<byte[], CompletableFuture<Answer>> sender;
    private final int maxInFlight;
    private final long maxEntryBytes;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int inFlight;
    private long generation;
    private long entries;
    private long commands;

    /** {@code sender}: sends one entry's bytes through Raft and completes with its answer. */
    EntryCoalescer(Function<byte[], CompletableFuture<Answer>> sender, int maxInFlight, long maxEntryBytes) {
        this.sender = sender;
        this.maxInFlight = maxInFlight;
        this.maxEntryBytes = maxEntryBytes;
    }

    /** Sends {@code command} (its event ids {@code ids}) in the next entry this node sends. */
    CompletableFuture<Answer> submit(byte[] command, List<UUID> ids) {
        Pending p = new Pending(command, ids, new CompletableFuture<>());
        Entry entry;
        synchronized (this) {
            waiting.add(p);
            entry = next();
        }
        if (entry != null) {
            send(entry);
        }
        return p.answer;
    }

    /**
     * The entries in flight went to a leader this node no longer follows: they are answered by their
     * own timeout, and no longer hold up the commands waiting behind them, which go now.
     */
    void abandonInFlight() {
        Entry entry;
        synchronized (this) {
            generation++;
            inFlight = 0;
            entry = next();
        }
        if (entry != null) {
            send(entry);
        }
    }

    /** Entries sent and the commands they carried, since the start. */
    synchronized long[] counts() {
        return new long[]{entries, commands};
    }

    /** The commands of the next entry, if one may be sent now. Under the monitor. */
    private Entry next() {
        if (inFlight >= maxInFlight) {
            return null;
        }
        List<Pending> entry = new ArrayList<>();
        Set<UUID> ids = null; // made for the first command with ids to track
        long bytes = CommandDescriptor.SEVERAL_HEADER_LENGTH;
        while (!waiting.isEmpty()) {
            Pending p = waiting.peek();
            if (p.answer.isDone()) { // its caller gave up before it was sent
                waiting.poll();
                continue;
            }
            long size = 4 + p.command.length;
            if (!entry.isEmpty() && (bytes + size > maxEntryBytes || shares(ids, p.ids))) {
                break;
            }
            waiting.poll();
            entry.add(p);
            if (!p.ids.isEmpty()) {
                if (ids == null) {
                    ids = new HashSet<>();
                }
                ids.addAll(p.ids);
            }
            bytes += size;
        }
        if (entry.isEmpty()) {
            return null;
        }
        inFlight++;
        entries++;
        commands += entry.size();
        return new Entry(entry, generation);
    }

    private static boolean shares(Set<UUID> taken, List<UUID> ids) {
        if (taken == null) {
            return false;
        }
        for (UUID id : ids) {
            if (taken.contains(id)) {
                return true;
            }
        }
        return false;
    }

    private void send(Entry sending) {
        List<Pending> entry = sending.commands();
        byte[] bytes = entry.size() == 1 ? entry.get(0).command
                : CommandDescriptor.several(entry.stream().map(Pending::command).toList());
        CompletableFuture<Answer> sent;
        try {
            sent = sender.apply(bytes);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((answer, failure) -> {
            Entry next;
            synchronized (this) {
                if (sending.generation() == generation) {
                    inFlight--;
                }
                next = next();
            }
            if (next != null) {
                send(next);
            }
            answer(entry, answer, failure);
        });
    }

    private static void answer(List<Pending> entry, Answer answer, Throwable failure) {
        if (failure != null) {
            entry.forEach(p -> p.answer.completeExceptionally(failure));
            return;
        }
        List<ByteBuffer> parts;
        try {
            parts = ReplyDescriptor.split(answer.content(), entry.size());
        } catch (RuntimeException e) {
            entry.forEach(p -> p.answer.completeExceptionally(e));
            return;
        }
        for (int i = 0; i < entry.size(); i++) {
            entry.get(i).answer.complete(new Answer(answer.logIndex(), parts.get(i)));
        }
    }
}
