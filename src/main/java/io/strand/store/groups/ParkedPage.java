package io.strand.store.groups;

import io.strand.store.RecordedEvent;

import java.util.List;

/** A page of a group's parked events, and the cursor of the next page (-1: none). */
public record ParkedPage(List<RecordedEvent> events, long next) {
}
