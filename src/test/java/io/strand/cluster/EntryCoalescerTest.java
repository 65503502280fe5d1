package io.strand.cluster;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group commit of commands into Raft entries, against a sender the test answers by hand: an idle
 * node sends each command alone; commands that arrive while the entries in flight are out go
 * together in the next one, each getting its own part of the answer; no entry carries one event id
 * twice, none grows past its byte limit, and a command whose caller gave up is not sent.
 */
class EntryCoalescerTest {
    private final List<byte[]> sent = new ArrayList<>();
    private final List<CompletableFuture<EntryCoalescer.Answer>> answers = new ArrayList<>();

    private CompletableFuture<EntryCoalescer.Answer> send(byte[] entry) {
        CompletableFuture<EntryCoalescer.Answer> f = new CompletableFuture<>();
        sent.add(entry);
        answers.add(f);
        return f;
    }

    private static byte[] command(int n) {
        return CommandDescriptor.encode(new Command.GroupCommit("g", "s" + n, n, UUID.randomUUID(), n));
    }

    /** Answers entry {@code i} as the state machine would: one answer per command it carries. */
    private void answer(int i, long logIndex) {
        int count = CommandDescriptor.decodeEntry(ByteBuffer.wrap(sent.get(i))).size();
        List<byte[]> parts = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            parts.add(ReplyDescriptor.appended(io.strand.store.AppendOutcome.of("s", k, k, 8L * k, null, false)));
        }
        answers.get(i).complete(new EntryCoalescer.Answer(logIndex, ByteBuffer.wrap(
                count == 1 ? parts.get(0) : ReplyDescriptor.several(parts))));
    }

    @Test
    void commandsThatWaitForAnEntryInFlightShareTheNextOne() throws Exception {
        EntryCoalescer c = new EntryCoalescer(this::send, 1, 1 << 20);
        byte[] alone = command(0);
        var a = c.submit(alone, List.of(UUID.randomUUID()));
        assertEquals(1, sent.size(), "an idle node sends at once");
        assertArrayEquals(alone, sent.get(0), "one command goes as itself");
        List<CompletableFuture<EntryCoalescer.Answer>> waiting = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            waiting.add(c.submit(command(i), List.of(UUID.randomUUID())));
        }
        assertEquals(1, sent.size(), "nothing more while the one entry allowed is out");
        answer(0, 10);
        assertEquals(10, a.get().logIndex());
        assertEquals(2, sent.size());
        assertEquals(5, CommandDescriptor.decodeEntry(ByteBuffer.wrap(sent.get(1))).size(), "the five waiting went together");
        answer(1, 11);
        for (int i = 0; i < 5; i++) {
            EntryCoalescer.Answer applied = waiting.get(i).get();
            assertEquals(11, applied.logIndex());
            assertEquals(i, ReplyDescriptor.outcome(applied.content(), "s", null).firstVersion(), "command " + i + " got its own answer");
        }
        assertArrayEquals(new long[]{2, 6}, c.counts());
    }

    @Test
    void anEntryNeverCarriesAnIdTwiceNorGrowsPastItsLimitAndDropsWhatWasGivenUp() throws Exception {
        byte[] one = command(1);
        EntryCoalescer c = new EntryCoalescer(this::send, 1, CommandDescriptor.SEVERAL_HEADER_LENGTH + 3L * (4 + one.length));
        c.submit(command(0), List.of(UUID.randomUUID()));
        UUID shared = UUID.randomUUID();
        c.submit(command(1), List.of(shared));
        c.submit(command(2), List.of(UUID.randomUUID(), shared)); // a re-send of the same event: next entry
        var givenUp = c.submit(command(3), List.of(UUID.randomUUID()));
        givenUp.completeExceptionally(new TimeoutException("the caller's timeout"));
        for (int i = 4; i <= 8; i++) {
            c.submit(command(i), List.of(UUID.randomUUID()));
        }
        answer(0, 1);
        assertEquals(1, CommandDescriptor.decodeEntry(ByteBuffer.wrap(sent.get(1))).size(), "the shared id ends the entry");
        answer(1, 2);
        List<Command> third = CommandDescriptor.decodeEntry(ByteBuffer.wrap(sent.get(2)));
        assertEquals(3, third.size(), "three commands fit the limit");
        assertEquals(List.of("s2", "s4", "s5"), third.stream().map(x -> ((Command.GroupCommit) x).stream()).toList(),
                "the given-up command was dropped");
        answer(2, 3);
        assertEquals(List.of("s6", "s7", "s8"), CommandDescriptor.decodeEntry(ByteBuffer.wrap(sent.get(3))).stream()
                .map(x -> ((Command.GroupCommit) x).stream()).toList());
        answers.get(3).completeExceptionally(new IllegalStateException("no leader"));
        assertTrue(sent.size() == 4);
    }

    @Test
    void commandsWithNoIdsToTrackGoTogetherAndStillMeetTheIdRuleOfOthers() {
        EntryCoalescer c = new EntryCoalescer(this::send, 1, 1 << 20);
        c.submit(command(0), List.of(UUID.randomUUID()));
        UUID shared = UUID.randomUUID();
        c.submit(command(1), List.of()); // ids the node made: none to track
        c.submit(command(2), List.of());
        c.submit(command(3), List.of(shared));
        c.submit(command(4), List.of());
        c.submit(command(5), List.of(shared)); // a re-send: ends the entry
        answer(0, 1);
        assertEquals(List.of("s1", "s2", "s3", "s4"), CommandDescriptor.decodeEntry(ByteBuffer.wrap(sent.get(1))).stream()
                .map(x -> ((Command.GroupCommit) x).stream()).toList());
        answer(1, 2);
        assertEquals(1, CommandDescriptor.decodeEntry(ByteBuffer.wrap(sent.get(2))).size(), "the re-sent id went alone");
    }

    @Test
    void aFailedEntryFailsEveryCommandItCarried() {
        EntryCoalescer c = new EntryCoalescer(this::send, 1, 1 << 20);
        c.submit(command(0), List.of(UUID.randomUUID()));
        var x = c.submit(command(1), List.of(UUID.randomUUID()));
        var y = c.submit(command(2), List.of(UUID.randomUUID()));
        answer(0, 1);
        answers.get(1).completeExceptionally(new IllegalStateException("no leader"));
        assertThrows(Exception.class, x::get);
        assertThrows(Exception.class, y::get);
        var z = c.submit(command(3), List.of(UUID.randomUUID()));
        assertEquals(3, sent.size(), "the slot came back: the next command goes at once");
        answer(2, 5);
        assertTrue(z.isDone());
    }

    @Test
    void entriesAbandonedAtALeaderChangeNoLongerHoldUpTheCommandsBehindThem() {
        EntryCoalescer c = new EntryCoalescer(this::send, 1, 1 << 20);
        var stuck = c.submit(command(0), List.of(UUID.randomUUID())); // sent to a leader that stopped answering
        var behind = c.submit(command(1), List.of(UUID.randomUUID()));
        assertEquals(1, sent.size());
        c.abandonInFlight();
        assertEquals(2, sent.size(), "the waiting command went at once, to the new leader");
        var next = c.submit(command(2), List.of(UUID.randomUUID()));
        assertEquals(2, sent.size(), "one entry in flight again");
        answers.get(0).completeExceptionally(new TimeoutException("the old leader never answered"));
        assertThrows(Exception.class, stuck::get);
        assertEquals(2, sent.size(), "the abandoned entry's end frees no slot of the new generation");
        answer(1, 7);
        assertTrue(behind.isDone());
        assertEquals(3, sent.size());
        answer(2, 8);
        assertTrue(next.isDone());
    }
}
