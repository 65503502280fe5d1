package io.strand.store.groups;

/**
 * A shared group's settings and state at one moment: attached consumers, deliveries in flight,
 * parked events, events between its resume point and the end of its source ({@code lag}: versions
 * for a stream, log bytes for {@code $all}), and counts since the server started.
 */
public record GroupStatus(String name, GroupSettings settings, int consumers, int inFlight, long parked, long lag,
                          long delivered, long acked, long redeliveries) {
}
