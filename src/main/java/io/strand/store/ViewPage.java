package io.strand.store;

import java.util.ArrayList;
import java.util.List;

/**
 * A page of events in place, and where the following page starts ({@code next}: a version for
 * stream reads, a log position for {@code $all}; -1 at the end). Closing it closes every view.
 */
public final class ViewPage implements AutoCloseable {
    private final List<EventView> events;
    private long next = -1;

    ViewPage(int capacity) {
        events = new ArrayList<>(Math.max(capacity, 0));
    }

    void add(EventView v) {
        events.add(v);
    }

    ViewPage next(long next) {
        this.next = next;
        return this;
    }

    public List<EventView> events() {
        return events;
    }

    public int size() {
        return events.size();
    }

    public long next() {
        return next;
    }

    @Override
    public void close() {
        for (EventView v : events) {
            v.close();
        }
        events.clear();
    }
}
