package io.strand.store.groups;

import java.util.List;
import java.util.UUID;

/** An ack or nack named ids that are not in flight in the group (never delivered, settled, or timed out). */
public final class UnknownDeliveryException extends RuntimeException {
    private final List<UUID> ids;

    public UnknownDeliveryException(String group, List<UUID> ids) {
        super("group " + group + " has no delivery in flight with id" + (ids.size() == 1 ? " " : "s ") + ids
                + " (never delivered, already settled, delivered again after its ack timeout, or its consumer disconnected: acks"
                + " come while the consumer that got the event is still attached)", null, false, false);
        this.ids = List.copyOf(ids);
    }

    public List<UUID> ids() {
        return ids;
    }
}
