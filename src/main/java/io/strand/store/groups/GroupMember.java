package io.strand.store.groups;

/** An attached consumer as its group sees it (its deliveries in flight); opaque outside the group. Groups thread only. */
public final class GroupMember {
    final GroupConsumer consumer;
    int inFlight;
    boolean detached;

    GroupMember(GroupConsumer consumer) {
        this.consumer = consumer;
    }
}
