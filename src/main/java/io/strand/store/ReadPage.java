package io.strand.store;

import java.util.List;

/**
 * A page of events and where the following page starts ({@code next}: a version for stream reads,
 * a log position for {@code $all}), or -1 when this page reached the end.
 */
public record ReadPage(List<RecordedEvent> events, long next) {
    public boolean hasNext() {
        return next >= 0;
    }
}
