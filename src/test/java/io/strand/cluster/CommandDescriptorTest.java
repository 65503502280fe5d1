package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.ExpectedVersion;
import io.strand.store.IdempotencyConflictException;
import io.strand.store.InvalidRequestException;
import io.strand.store.NewEvent;
import io.strand.store.StreamChange;
import io.strand.store.StreamMetadata;
import io.strand.store.StreamNotFoundException;
import io.strand.store.StreamTombstonedException;
import io.strand.store.WriteDurability;
import io.strand.store.WrongExpectedVersionException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Raft commands and answers survive their byte layouts exactly; bytes no Strand wrote are refused. */
class CommandDescriptorTest {
    @Test
    void anAppendRoundTripsEveryField() {
        NewEvent json = new NewEvent(UUID.randomUUID(), "placed", "{\"n\":1}".getBytes(StandardCharsets.UTF_8),
                "{\"by\":\"ü\"}".getBytes(StandardCharsets.UTF_8), false);
        NewEvent binary = new NewEvent(UUID.randomUUID(), "blob", new byte[]{0, 1, 2, (byte) 255}, null, true);
        Command.Append a = new Command.Append("orders-ü", ExpectedVersion.NO_STREAM, 1_700_000_000_123L, List.of(json, binary), false);
        Command.Append back = (Command.Append) CommandDescriptor.decode(ByteBuffer.wrap(CommandDescriptor.encode(a)));
        assertEquals(a.stream(), back.stream());
        assertEquals(a.expectedVersion(), back.expectedVersion());
        assertEquals(a.timestampMillis(), back.timestampMillis());
        assertEquals(2, back.events().size());
        for (int i = 0; i < 2; i++) {
            NewEvent e = a.events().get(i);
            NewEvent f = back.events().get(i);
            assertEquals(e.id(), f.id());
            assertEquals(e.type(), f.type());
            assertEquals(e.binary(), f.binary());
            assertArrayEquals(e.data(), f.data());
            assertArrayEquals(e.metadata(), f.metadata());
        }
    }

    @Test
    void anAppendOfServerMadeIdsSaysSoAndIsKindSix() {
        List<NewEvent> events = List.of(NewEvent.json(UUID.randomUUID(), "t", "{}"), NewEvent.json(UUID.randomUUID(), "t", "[]"));
        byte[] fresh = CommandDescriptor.encode(new Command.Append("s", 4, 9, events, true));
        byte[] chosen = CommandDescriptor.encode(new Command.Append("s", 4, 9, events, false));
        assertEquals(CommandDescriptor.KIND_APPEND_FRESH, fresh[CommandDescriptor.KIND_OFFSET]);
        assertEquals(CommandDescriptor.KIND_APPEND, chosen[CommandDescriptor.KIND_OFFSET]);
        Command.Append back = (Command.Append) CommandDescriptor.decode(ByteBuffer.wrap(fresh));
        assertTrue(back.freshIds());
        assertEquals(4, back.expectedVersion());
        assertEquals(events.stream().map(NewEvent::id).toList(), back.events().stream().map(NewEvent::id).toList());
        assertTrue(!((Command.Append) CommandDescriptor.decode(ByteBuffer.wrap(chosen))).freshIds());
    }

    @Test
    void eventTypesRoundTripWhenABatchRepeatsAndChangesThem() {
        List<String> types = List.of("placed", "placed", "paid", "placed", "pay", "paid", "ü-typ", "ü-typ");
        List<NewEvent> events = types.stream().map(t -> new NewEvent(UUID.randomUUID(), t, new byte[]{1}, null, true)).toList();
        Command.Append back = (Command.Append) CommandDescriptor.decode(ByteBuffer.wrap(CommandDescriptor.encode(
                new Command.Append("s", ExpectedVersion.ANY, 1, events, false))));
        assertEquals(types, back.events().stream().map(NewEvent::type).toList());
    }

    @Test
    void aSystemAppendRoundTripsWithItsTermAndIsNotAnAppend() {
        NewEvent r = new NewEvent(UUID.randomUUID(), "shared-group", new byte[]{7, 8}, null, true);
        Command.SystemAppend a = new Command.SystemAppend(42, "$pg-billing", 1_700_000_000_123L, List.of(r));
        Command back = CommandDescriptor.decode(ByteBuffer.wrap(CommandDescriptor.encode(a)));
        Command.SystemAppend s = assertInstanceOf(Command.SystemAppend.class, back);
        assertEquals(42, s.term());
        assertEquals("$pg-billing", s.stream());
        assertEquals(a.timestampMillis(), s.timestampMillis());
        assertEquals(r.id(), s.events().get(0).id());
        assertArrayEquals(r.data(), s.events().get(0).data());
        // A deposed leader's answer: a retryable refusal.
        assertThrows(io.strand.store.StoreUnavailableException.class, () -> ReplyDescriptor.outcome(
                ByteBuffer.wrap(ReplyDescriptor.of(ReplyDescriptor.STALE_TERM)), "$pg-billing", null));
    }

    @Test
    void aGroupCommitRoundTrips() {
        Command.GroupCommit g = new Command.GroupCommit("billing", "orders-1", 41, UUID.randomUUID(), 5);
        assertEquals(g, CommandDescriptor.decode(ByteBuffer.wrap(CommandDescriptor.encode(g))));
    }

    @Test
    void anEntryOfSeveralCommandsRoundTripsThemInOrderAndSplitsTheirAnswers() {
        Command.GroupCommit g = new Command.GroupCommit("billing", "orders-1", 41, UUID.randomUUID(), 5);
        Command.Append a = new Command.Append("orders-2", 3, 6, List.of(new NewEvent(UUID.randomUUID(), "t",
                new byte[]{1}, null, true)), false);
        List<Command> back = CommandDescriptor.decodeEntry(ByteBuffer.wrap(CommandDescriptor.several(
                List.of(CommandDescriptor.encode(g), CommandDescriptor.encode(a)))));
        assertEquals(2, back.size());
        assertEquals(g, back.get(0));
        assertEquals("orders-2", ((Command.Append) back.get(1)).stream());
        assertEquals(a.events().get(0).id(), ((Command.Append) back.get(1)).events().get(0).id());
        assertEquals(List.of(g), CommandDescriptor.decodeEntry(ByteBuffer.wrap(CommandDescriptor.encode(g))), "one command alone");

        AppendOutcome o = AppendOutcome.of("orders-2", 4, 4, 512, null, false);
        List<ByteBuffer> parts = ReplyDescriptor.split(ByteBuffer.wrap(ReplyDescriptor.several(List.of(
                ReplyDescriptor.of(ReplyDescriptor.GROUP_COMMITTED), ReplyDescriptor.appended(o)))), 2);
        assertNull(ReplyDescriptor.outcome(parts.get(0), "orders-1", null));
        assertEquals(o, ReplyDescriptor.outcome(parts.get(1), "orders-2", null));
        assertThrows(IllegalStateException.class, () -> ReplyDescriptor.split(ByteBuffer.wrap(ReplyDescriptor.appended(o)), 2));
        byte[] cut = CommandDescriptor.several(List.of(CommandDescriptor.encode(g)));
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decodeEntry(ByteBuffer.wrap(cut, 0, cut.length - 3)));
    }

    /** Every kind of stream change: a delete, a tombstone, settings with every field, and settings with none. */
    private static List<Command.ChangeStream> changes() {
        StreamMetadata every = StreamMetadata.settings(3L, 86_400L, 2L, "{\"owner\":\"ü\",\"n\":[1,2]}");
        StreamMetadata none = StreamMetadata.settings(null, null, null, null);
        return List.of(
                new Command.ChangeStream("orders-ü", StreamChange.delete(), 4, UUID.randomUUID(), 1_700_000_000_001L),
                new Command.ChangeStream("orders-1", StreamChange.tombstone(), ExpectedVersion.ANY, UUID.randomUUID(), 2),
                new Command.ChangeStream("orders-2", StreamChange.set(every), ExpectedVersion.NO_STREAM, UUID.randomUUID(), 3),
                new Command.ChangeStream("orders-3", StreamChange.set(none), ExpectedVersion.EXISTS, UUID.randomUUID(), 4));
    }

    @Test
    void aStreamChangeOfEachKindRoundTripsEveryField() {
        for (Command.ChangeStream c : changes()) {
            Command back = CommandDescriptor.decode(ByteBuffer.wrap(CommandDescriptor.encode(c)));
            assertEquals(c, back, c.change().kind() + " round-trips");
            assertEquals(List.of(c), CommandDescriptor.decodeEntry(ByteBuffer.wrap(CommandDescriptor.encode(c))),
                    c.change().kind() + " alone in an entry");
        }
        Command.ChangeStream set = (Command.ChangeStream) CommandDescriptor.decode(
                ByteBuffer.wrap(CommandDescriptor.encode(changes().get(2))));
        assertEquals(new StreamMetadata(3L, 86_400L, 2L, "{\"owner\":\"ü\",\"n\":[1,2]}", -1, false), set.change().settings());
        Command.ChangeStream empty = (Command.ChangeStream) CommandDescriptor.decode(
                ByteBuffer.wrap(CommandDescriptor.encode(changes().get(3))));
        assertEquals(StreamMetadata.NONE, empty.change().settings(), "no setting stays unset, not 0");
        assertNull(((Command.ChangeStream) CommandDescriptor.decode(
                ByteBuffer.wrap(CommandDescriptor.encode(changes().get(0))))).change().settings());
    }

    @Test
    void streamChangesShareAnEntryWithAppendsAndCommitsInOrder() {
        Command.Append a = new Command.Append("orders-2", 3, 6, List.of(new NewEvent(UUID.randomUUID(), "t",
                new byte[]{1}, null, true)), false);
        Command.GroupCommit g = new Command.GroupCommit("billing", "orders-1", 41, UUID.randomUUID(), 5);
        List<Command> commands = new java.util.ArrayList<>(changes());
        commands.add(1, a);
        commands.add(3, g);
        List<Command> back = CommandDescriptor.decodeEntry(ByteBuffer.wrap(CommandDescriptor.several(
                commands.stream().map(CommandDescriptor::encode).toList())));
        assertEquals(commands.size(), back.size());
        for (int i = 0; i < commands.size(); i++) {
            if (commands.get(i) instanceof Command.Append sent) {
                Command.Append got = assertInstanceOf(Command.Append.class, back.get(i));
                assertEquals(sent.stream(), got.stream());
                assertEquals(sent.events().get(0).id(), got.events().get(0).id());
            } else {
                assertEquals(commands.get(i), back.get(i), "command " + i);
            }
        }
        byte[] cut = CommandDescriptor.several(List.of(CommandDescriptor.encode(changes().get(2))));
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decodeEntry(ByteBuffer.wrap(cut, 0, cut.length - 3)));
    }

    @Test
    void streamChangeAnswersDecodeToTheirOutcomes() {
        assertNull(ReplyDescriptor.outcome(ByteBuffer.wrap(ReplyDescriptor.of(ReplyDescriptor.STREAM_CHANGED)), "s", null));
        byte[] notFound = ReplyDescriptor.refused(new StreamNotFoundException("gone-1"));
        assertNotNull(notFound, "a soft delete of a stream without events is refused alike everywhere: an answer");
        assertEquals("gone-1", assertThrows(StreamNotFoundException.class,
                () -> ReplyDescriptor.outcome(ByteBuffer.wrap(notFound), "gone-1", null)).stream());
        byte[] tombstoned = ReplyDescriptor.refused(new StreamTombstonedException("dead-1"));
        assertNotNull(tombstoned);
        assertEquals("dead-1", assertThrows(StreamTombstonedException.class,
                () -> ReplyDescriptor.outcome(ByteBuffer.wrap(tombstoned), "dead-1", null)).stream());
        assertEquals(ReplyDescriptor.STREAM_NOT_FOUND, notFound[0]);
        assertEquals(ReplyDescriptor.STREAM_TOMBSTONED, tombstoned[0]);

        // in an entry of several commands, each gets its own answer
        List<ByteBuffer> parts = ReplyDescriptor.split(ByteBuffer.wrap(ReplyDescriptor.several(List.of(
                ReplyDescriptor.of(ReplyDescriptor.STREAM_CHANGED), tombstoned, notFound,
                ReplyDescriptor.refused(new WrongExpectedVersionException("s", 3, 5))))), 4);
        assertNull(ReplyDescriptor.outcome(parts.get(0), "a", null));
        assertThrows(StreamTombstonedException.class, () -> ReplyDescriptor.outcome(parts.get(1), "dead-1", null));
        assertThrows(StreamNotFoundException.class, () -> ReplyDescriptor.outcome(parts.get(2), "gone-1", null));
        assertEquals(5, assertThrows(WrongExpectedVersionException.class,
                () -> ReplyDescriptor.outcome(parts.get(3), "s", null)).current());
    }

    @Test
    void bytesOfAnotherFormatAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decode(ByteBuffer.wrap(new byte[10])));
        byte[] b = CommandDescriptor.encode(new Command.GroupCommit("g", "s", 1, UUID.randomUUID(), 5));
        b[CommandDescriptor.VERSION_OFFSET] = 9;
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decode(ByteBuffer.wrap(b)));
        b[CommandDescriptor.VERSION_OFFSET] = CommandDescriptor.VERSION;
        b[CommandDescriptor.KIND_OFFSET] = 7;
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decode(ByteBuffer.wrap(b)));
        byte[] change = CommandDescriptor.encode(new Command.ChangeStream("s", StreamChange.delete(), 1, UUID.randomUUID(), 5));
        change[CommandDescriptor.COUNT_OFFSET] = 9; // no stream change of kind 9
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decode(ByteBuffer.wrap(change)));
        byte[] settings = CommandDescriptor.encode(new Command.ChangeStream("s",
                StreamChange.set(StreamMetadata.settings(1L, null, null, null)), 1, UUID.randomUUID(), 5));
        settings[settings.length - 43] ^= 0x7F; // the settings' magic (42 bytes of header, 1 of name): not stream metadata
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decode(ByteBuffer.wrap(settings)));
    }

    @Test
    void answersCarryOutcomesAndTheRefusalsEveryReplicaMakesAlike() {
        AppendOutcome o = AppendOutcome.of("s", 3, 5, 4096, WriteDurability.FLUSHED, true);
        AppendOutcome back = ReplyDescriptor.outcome(ByteBuffer.wrap(ReplyDescriptor.appended(o)), "s", WriteDurability.FLUSHED);
        assertEquals(o, back);
        WrongExpectedVersionException w = assertThrows(WrongExpectedVersionException.class, () -> ReplyDescriptor.outcome(
                ByteBuffer.wrap(ReplyDescriptor.refused(new WrongExpectedVersionException("s", 7, 2))), "s", null));
        assertEquals(7, w.expected());
        assertEquals(2, w.current());
        IdempotencyConflictException c = assertThrows(IdempotencyConflictException.class, () -> ReplyDescriptor.outcome(
                ByteBuffer.wrap(ReplyDescriptor.refused(new IdempotencyConflictException("ids reused"))), "s", null));
        assertEquals("ids reused", c.getMessage());
        assertInstanceOf(InvalidRequestException.class, assertThrows(RuntimeException.class, () -> ReplyDescriptor.outcome(
                ByteBuffer.wrap(ReplyDescriptor.refused(new InvalidRequestException("bad"))), "s", null)));
        assertNull(ReplyDescriptor.refused(new IllegalStateException("a replica's own failure is not an answer")));
        assertNull(ReplyDescriptor.outcome(ByteBuffer.wrap(ReplyDescriptor.of(ReplyDescriptor.GROUP_COMMITTED)), "s", null));
        assertTrue(assertThrows(IllegalStateException.class, () -> ReplyDescriptor.outcome(
                ByteBuffer.wrap(ReplyDescriptor.of(ReplyDescriptor.REPLAYED)), "s", null)).getMessage().contains("no outcome"));
    }
}
