package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.ExpectedVersion;
import io.strand.store.IdempotencyConflictException;
import io.strand.store.InvalidRequestException;
import io.strand.store.NewEvent;
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
        Command.Append a = new Command.Append("orders-ü", ExpectedVersion.NO_STREAM, 1_700_000_000_123L, List.of(json, binary));
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
    void aGroupCommitRoundTrips() {
        Command.GroupCommit g = new Command.GroupCommit("billing", "orders-1", 41, UUID.randomUUID(), 5);
        assertEquals(g, CommandDescriptor.decode(ByteBuffer.wrap(CommandDescriptor.encode(g))));
    }

    @Test
    void anEntryOfSeveralCommandsRoundTripsThemInOrderAndSplitsTheirAnswers() {
        Command.GroupCommit g = new Command.GroupCommit("billing", "orders-1", 41, UUID.randomUUID(), 5);
        Command.Append a = new Command.Append("orders-2", 3, 6, List.of(new NewEvent(UUID.randomUUID(), "t",
                new byte[]{1}, null, true)));
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

    @Test
    void bytesOfAnotherFormatAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decode(ByteBuffer.wrap(new byte[10])));
        byte[] b = CommandDescriptor.encode(new Command.GroupCommit("g", "s", 1, UUID.randomUUID(), 5));
        b[CommandDescriptor.VERSION_OFFSET] = 9;
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decode(ByteBuffer.wrap(b)));
        b[CommandDescriptor.VERSION_OFFSET] = CommandDescriptor.VERSION;
        b[CommandDescriptor.KIND_OFFSET] = 7;
        assertThrows(IllegalArgumentException.class, () -> CommandDescriptor.decode(ByteBuffer.wrap(b)));
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
