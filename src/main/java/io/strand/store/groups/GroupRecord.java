package io.strand.store.groups;

import java.util.UUID;

/** What one event of a shared group's own stream ({@code $pg-<group>}) records; laid out by {@link GroupRecordDescriptor}. */
sealed interface GroupRecord {
    /** The group was created or its settings changed; state recorded before a {@link Deleted} is forgotten. */
    record Settings(GroupSettings settings) implements GroupRecord {
    }

    /**
     * Offsets settled (acked or skipped); {@code resume} is where the source is read from after a
     * restart: every offset below it is settled.
     */
    record Settled(long resume, long[] offsets) implements GroupRecord {
    }

    /** One event parked after too many deliveries or a {@code nack} with {@code park}. */
    record Parked(long resume, long offset, UUID id) implements GroupRecord {
    }

    /** The parked events recorded up to version {@code through} of the group's stream were replayed (settled). */
    record Replayed(long through) implements GroupRecord {
    }

    /** The group was deleted. */
    record Deleted() implements GroupRecord {
    }
}
