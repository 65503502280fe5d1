package io.strand.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Group commits skip the repeat check (fresh ids) and reach the log in the order they were made. */
class ConsumerGroupsTest {

    @Test
    void shouldWriteEveryCommitInOrderEvenWhenCommitIdsCollide(@TempDir Path dir) throws Exception {
        UUID same = new UUID(1, 1); // every commit gets this id: through the repeat check they would be repeats
        long last;
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("s", ExpectedVersion.ANY, event(0));
            f.store.groups().ids = () -> same;
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int v = 0; v < 300; v++) { // past SCAN_VERSIONS of $groups, without waiting in between
                pending.add(f.store.commitGroup("g", "s", v).toCompletableFuture());
                if (v % 7 == 0) {
                    pending.add(f.store.commitGroup("h", "s", 1000 + v).toCompletableFuture());
                }
            }
            for (CompletableFuture<Void> p : pending) {
                p.get(30, TimeUnit.SECONDS);
            }
            assertEquals(299, f.store.groupVersion("g", "s").getAsLong());
            assertEquals(1000 + 294, f.store.groupVersion("h", "s").getAsLong());
            // The log holds every commit, in the order made.
            ReadPage groups = f.store.readStream(EventStore.GROUPS_STREAM, 0, 1000, Direction.FORWARD);
            assertEquals(300 + 43, groups.events().size());
            long previous = -1;
            for (RecordedEvent e : groups.events()) {
                ByteBuffer b = ByteBuffer.wrap(e.data());
                assertEquals(GroupCommitDescriptor.FORMAT, GroupCommitDescriptor.check(b), "commits are written in format 1");
                long v = GroupCommitDescriptor.version(b, GroupCommitDescriptor.FORMAT);
                if (GroupCommitDescriptor.group(b, GroupCommitDescriptor.FORMAT).equals("g")) {
                    assertEquals(previous + 1, v, "g's commits in the order they were made");
                    previous = v;
                }
            }
            assertEquals(0, f.store.index().dedup().size(), "the store's own streams do not fill the dedup index");
            last = f.store.groupVersion("g", "s").getAsLong();
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(last, f.store.groupVersion("g", "s").getAsLong(), "the last commit made is the one restored");
            assertEquals(1000 + 294, f.store.groupVersion("h", "s").getAsLong());
        }
    }

    @Test
    void shouldKeepConcurrentCommitsInTheOrderTheyWereMade(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("s", ExpectedVersion.ANY, event(0));
            List<CompletableFuture<Void>> pending = new java.util.concurrent.CopyOnWriteArrayList<>();
            io.strand.log.Concurrently.run(4, t -> {
                for (int k = 0; k < 100; k++) {
                    pending.add(f.store.commitGroup("g", "s", t * 1000L + k).toCompletableFuture());
                }
            });
            for (CompletableFuture<Void> p : pending) {
                p.get(30, TimeUnit.SECONDS);
            }
            long inMemory = f.store.groupVersion("g", "s").getAsLong();
            RecordedEvent lastLogged = f.store.readStream(EventStore.GROUPS_STREAM, -1, 1, Direction.BACKWARD)
                    .events().get(0);
            long logged = GroupCommitDescriptor.version(ByteBuffer.wrap(lastLogged.data()), GroupCommitDescriptor.FORMAT);
            assertEquals(logged, inMemory, "the version kept is the one logged last");
        }
    }
}
