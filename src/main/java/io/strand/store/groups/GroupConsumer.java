package io.strand.store.groups;

/**
 * One attached consumer of a shared group (an SSE connection). Called on the groups thread, in
 * order; neither method may block: an implementation hands the work to its own thread.
 */
public interface GroupConsumer {
    /** An event for this consumer; it must be acked, nacked or left to time out. */
    void deliver(Delivery delivery);

    /** The consumer is detached by the server: the group was deleted or the server stops. */
    void end(String why);
}
