package io.strand.store.groups;

import io.strand.store.EventFilter;
import io.strand.store.EventView;
import io.strand.store.RecordedEvent;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;

/**
 * A shared group's subscription to its source: events are filtered and copied on the read thread
 * (views of mapped pages are not kept: a delivery may wait its ack timeout), then handed to the
 * group on the groups thread. Filtered-out events, and the groups' own records, do not use the group's demand.
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
        if ((!filter.all() && !filter.matches(v)) || groupRecord(v)) {
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

    /**
     * Whether {@code v} is a record of the shared groups themselves ({@code $pg}, {@code $pg-<group>}):
     * never given to a {@code $all} group, whose acks would otherwise append records that it is then
     * given to ack, without end (and two such groups would feed each other).
     */
    static boolean groupRecord(EventView v) {
        java.nio.ByteBuffer s = v.streamBytes();
        int n = s.remaining();
        return n >= 3 && s.get(0) == '$' && s.get(1) == 'p' && s.get(2) == 'g' && (n == 3 || s.get(3) == '-');
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
