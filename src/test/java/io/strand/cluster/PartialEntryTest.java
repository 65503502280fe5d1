package io.strand.cluster;

import io.strand.log.CommitLog;
import io.strand.log.LogConfig;
import io.strand.store.AppendOutcome;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.Replica;
import io.strand.store.StoreConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.strand.cluster.TestCluster.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Raft entry may carry several commands; a crash can come after some of them reached the
 * CommitLog. At the next start the log's records say how many it holds, and only the rest are
 * applied: a command refused before the crash (it wrote nothing) is not applied again out of order.
 */
class PartialEntryTest {
    @TempDir
    Path dir;

    @Test
    void theLogSaysHowManyOfItsLastEntrysCommandsItHolds() throws Exception {
        try (CommitLog log = CommitLog.open(LogConfig.defaults(dir).withSegmentSize(256 * 1024));
             EventStore store = EventStore.open(log, StoreConfig.defaults())) {
            Replica replica = store.replica();
            NewEvent older = event(UUID.randomUUID(), "older");
            apply(replica, new Command.Append("a", ExpectedVersion.ANY, 1, List.of(older), false), 6);

            Command.Append first = new Command.Append("a", ExpectedVersion.ANY, 2, List.of(event(UUID.randomUUID(), "1")), false);
            Command.Append refused = new Command.Append("b", 99, 2, List.of(event(UUID.randomUUID(), "2")), false);
            Command.GroupCommit commit = new Command.GroupCommit("g", "a", 0, UUID.randomUUID(), 2);
            Command.Append third = new Command.Append("a", ExpectedVersion.ANY, 2,
                    List.of(event(UUID.randomUUID(), "3a"), event(UUID.randomUUID(), "3b")), false);
            Command.Append last = new Command.Append("c", ExpectedVersion.ANY, 2, List.of(event(UUID.randomUUID(), "4")), false);
            List<Command> entry = List.of(first, refused, commit, third, last);

            assertEquals(0, EntryApplier.held(replica, entry, 7), "none of entry 7 yet (the log's last is 6)");
            assertEquals(0, EntryApplier.held(replica,
                    List.of(new Command.Append("a", ExpectedVersion.ANY, 2, List.of(older), false)), 7), "an id of entry 6 is not entry 7's");
            apply(replica, first, 7);
            assertEquals(1, EntryApplier.held(replica, entry, 7));
            replica.applyGroupCommit(commit.group(), commit.stream(), commit.version(), commit.id(), 2, 7)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(3, EntryApplier.held(replica, entry, 7), "the refused command before the commit was decided");
            apply(replica, third, 7);
            assertEquals(4, EntryApplier.held(replica, entry, 7));
            apply(replica, last, 7);
            assertEquals(5, EntryApplier.held(replica, entry, 7));
        }
    }

    @Test
    void anAppendOfServerMadeIdsAppliedAgainIsARepeatFoundByItsFirstId() throws Exception {
        try (CommitLog log = CommitLog.open(LogConfig.defaults(dir).withSegmentSize(256 * 1024));
             EventStore store = EventStore.open(log, StoreConfig.defaults())) {
            EntryApplier applier = new EntryApplier(store.replica(), (index, e) -> {
                throw new AssertionError("the log failed at entry " + index, e);
            });
            List<NewEvent> events = new java.util.ArrayList<>();
            for (int i = 0; i < 300; i++) {
                events.add(event(UUID.randomUUID(), "e" + i));
            }
            Command.Append fresh = new Command.Append("f", ExpectedVersion.ANY, 3, events, true);
            AppendOutcome first = answer(applier, fresh, 5);
            long end = log.committedPosition();
            AppendOutcome again = answer(applier, fresh, 6);
            assertTrue(again.duplicate(), "the same command in a later entry (a Raft client's retry) writes nothing");
            assertEquals(first.firstVersion(), again.firstVersion());
            assertEquals(299, again.lastVersion());
            assertEquals(end, log.committedPosition());
        }
    }

    private static AppendOutcome answer(EntryApplier applier, Command.Append a, long index) throws Exception {
        byte[] reply = applier.apply(List.of(a), 0, index, 1).toCompletableFuture().get(10, TimeUnit.SECONDS);
        return ReplyDescriptor.outcome(java.nio.ByteBuffer.wrap(reply), a.stream(), null);
    }

    private static void apply(Replica replica, Command.Append a, long raftIndex) throws Exception {
        replica.applyReplicated(a.stream(), a.events(), a.expectedVersion(), a.freshIds(), a.timestampMillis(), raftIndex)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
