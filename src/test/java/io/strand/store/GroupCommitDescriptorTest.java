package io.strand.store;

import io.strand.log.Durability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The consumer-group commit layout: format 1 round trips, format 0 still reads, damage is named. */
class GroupCommitDescriptorTest {

    @Test
    void shouldRoundTripACommit() {
        ByteBuffer b = ByteBuffer.wrap(GroupCommitDescriptor.encode("billing", "orders-1", 41));
        assertEquals(GroupCommitDescriptor.FORMAT, GroupCommitDescriptor.check(b));
        assertEquals(0x53, b.get(0) & 0xFF, "magic bytes \"SG\", little-endian");
        assertEquals(0x47, b.get(1) & 0xFF);
        assertEquals("billing", GroupCommitDescriptor.group(b, GroupCommitDescriptor.FORMAT));
        assertEquals("orders-1", GroupCommitDescriptor.stream(b, GroupCommitDescriptor.FORMAT));
        assertEquals(41, GroupCommitDescriptor.version(b, GroupCommitDescriptor.FORMAT));
        assertEquals(-1, GroupCommitDescriptor.version(ByteBuffer.wrap(GroupCommitDescriptor.encode("g", "s", -1)),
                GroupCommitDescriptor.FORMAT));
    }

    @Test
    void shouldReadTheFormatWrittenBeforeTheMagic() {
        String longest = "g".repeat(StreamNames.MAX_LENGTH);
        ByteBuffer b = ByteBuffer.wrap(GroupCommitDescriptor.encodeLegacy(longest, "s", 7));
        assertEquals(GroupCommitDescriptor.LEGACY_FORMAT, GroupCommitDescriptor.check(b));
        assertEquals(longest, GroupCommitDescriptor.group(b, GroupCommitDescriptor.LEGACY_FORMAT));
        assertEquals("s", GroupCommitDescriptor.stream(b, GroupCommitDescriptor.LEGACY_FORMAT));
        assertEquals(7, GroupCommitDescriptor.version(b, GroupCommitDescriptor.LEGACY_FORMAT));
    }

    @Test
    void shouldNameWhatIsWrongWithADamagedCommit() {
        byte[] good = GroupCommitDescriptor.encode("g", "s", 1);
        assertEquals(GroupCommitDescriptor.TRUNCATED, GroupCommitDescriptor.check(ByteBuffer.wrap(new byte[1])));
        assertEquals(GroupCommitDescriptor.TRUNCATED, GroupCommitDescriptor.check(ByteBuffer.wrap(Arrays.copyOf(good, 10))));
        assertEquals(GroupCommitDescriptor.BAD_LENGTH,
                GroupCommitDescriptor.check(ByteBuffer.wrap(Arrays.copyOf(good, good.length - 1))));
        byte[] future = good.clone();
        future[GroupCommitDescriptor.FORMAT_OFFSET] = 2;
        assertEquals(GroupCommitDescriptor.BAD_FORMAT, GroupCommitDescriptor.check(ByteBuffer.wrap(future)));
        assertEquals(GroupCommitDescriptor.BAD_MAGIC, GroupCommitDescriptor.check(ByteBuffer.wrap(new byte[]{(byte) 0xFF, 0x7F, 0, 0})));
        byte[] legacy = GroupCommitDescriptor.encodeLegacy("g", "s", 1);
        assertEquals(GroupCommitDescriptor.BAD_LENGTH,
                GroupCommitDescriptor.check(ByteBuffer.wrap(Arrays.copyOf(legacy, legacy.length + 1))));
    }

    @Test
    void shouldRestoreGroupPositionsWrittenInTheOldFormat(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("s", ExpectedVersion.ANY, event(0));
            // As a store before format 1 wrote them: old layout, then a newer commit in the new one.
            for (long v = 0; v < 3; v++) {
                legacyCommit(f, "old", "s", v);
            }
            legacyCommit(f, "mixed", "s", 5);
            f.store.commitGroup("mixed", "s", 6).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(2, f.store.groupVersion("old", "s").getAsLong(), "format-0 commits load");
            assertEquals(6, f.store.groupVersion("mixed", "s").getAsLong(), "the last commit wins across formats");
        }
    }

    @Test
    void shouldRefuseToOpenOverADamagedCommit(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.store.appendFresh(EventStore.GROUPS_STREAM, List.of(new NewEvent(UUID.randomUUID(),
                    ConsumerGroups.EVENT_TYPE, new byte[]{1, 2, 3}, null, true)), Durability.FLUSHED)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> StoreFixture.open(dir).close());
        assertEquals(true, e.getMessage().contains("bad consumer-group commit"), e.getMessage());
    }

    private static void legacyCommit(StoreFixture f, String group, String stream, long version) throws Exception {
        f.store.appendFresh(EventStore.GROUPS_STREAM, List.of(new NewEvent(UUID.randomUUID(), ConsumerGroups.EVENT_TYPE,
                GroupCommitDescriptor.encodeLegacy(group, stream, version), null, true)), Durability.FLUSHED)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
