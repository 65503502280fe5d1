package io.strand.store.groups;

import io.strand.store.EventFilter;
import io.strand.store.EventView;
import io.strand.store.RecordedEvent;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;

/**
 * A shared group's subscription to its source: events are filtered and copied on the read thread
 * (views of mapped pages are not kept: a delivery may wait its ack timeout), then handed to the
 * group on the groups thread. Filtered-out events do not use the group's demand.
 */
final class GroupSource implements Flow.Subscriber<EventView> {
    private static final System.Logger LOG = System.getLogger(GroupSource.class.getName());
    private final SharedGroup group;
    private final EventFilter filter;
    private final Executor thread;
    private Flow.Subscription subscription;

    GroupSource(SharedGroup group, EventFilter filter, Executor thread) {
        this.group = group;
        this.filter = filter;
        this.thread = thread;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        thread.execute(() -> group.sourceReady(s));
    }

    @Override
    public void onNext(EventView v) {
        if (!filter.all() && !filter.matches(v)) {
            v.close();
            subscription.request(1);
            return;
        }
        RecordedEvent e;
        try {
            e = v.copy();
        } finally {
            v.close();
        }
        thread.execute(() -> group.received(e));
    }

    @Override
    public void onError(Throwable t) {
        LOG.log(System.Logger.Level.ERROR, "shared group " + group.name + ": its source failed; it delivers nothing more"
                + " until the server restarts", t);
        thread.execute(group::sourceEnded);
    }

    @Override
    public void onComplete() {
        thread.execute(group::sourceEnded);
    }
}
