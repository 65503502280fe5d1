package io.strand.store.groups;

import io.strand.store.RecordedEvent;

/**
 * An event of a shared group's source on its way to a consumer: its offset (a version of the source
 * stream, or a log position for {@code $all}), how many times it was delivered, and while it is in
 * flight, to whom and until when. Owned by the groups thread; {@link #attempt()} is read by the
 * consumer it was handed to, before the next delivery of it.
 */
public final class Delivery {
    private final RecordedEvent event;
    private final long offset;
    /** True for an event replayed from the parked list (its offset is below the group's resume point). */
    final boolean replay;
    private volatile int attempt;
    GroupMember owner;
    long deadline;

    Delivery(RecordedEvent event, long offset, boolean replay) {
        this.event = event;
        this.offset = offset;
        this.replay = replay;
    }

    public RecordedEvent event() {
        return event;
    }

    /** 1 for the first delivery, 2 for the first redelivery, and so on. */
    public int attempt() {
        return attempt;
    }

    long offset() {
        return offset;
    }

    void delivered() {
        attempt++;
    }
}
