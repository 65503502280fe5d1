package io.strand.ops;

import io.strand.cluster.RaftNode;
import io.strand.store.EventStore;
import io.strand.store.groups.SharedGroups;
import org.jboss.logging.Logger;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a cluster's shared groups on its leader, and only there: their state is in the log
 * ({@code $pg} streams), so the leader of each term loads it once it has applied everything the
 * earlier terms committed, and writes through the Raft log fenced by its term (a deposed leader's
 * records are refused on every replica). Other nodes forward {@code /groups/**} to the leader. On
 * one thread of its own: the Ratis notifications only queue work here, and a periodic check catches
 * one missed or out of order (a leadership lost silently, a ready before this host listened).
 */
final class GroupHost implements RaftNode.Leadership, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GroupHost.class);
    private static final long CHECK_MILLIS = 1000;
    private static final String NOT_LEADING = "this node no longer leads the cluster: reconnect (every node forwards to the leader)";
    private final EventStore store;
    private final RaftNode node;
    private final ScheduledExecutorService thread;
    private volatile SharedGroups groups;
    /** The term the groups were opened in (host thread only). */
    private long term = -1;
    private boolean closed;

    GroupHost(EventStore store, RaftNode node) {
        this.store = store;
        this.node = node;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strand-group-host");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::check, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The groups when this node leads and has loaded them, else null (forward to the leader). */
    SharedGroups groupsOrNull() {
        return groups;
    }

    @Override
    public void ready(long t) {
        thread.execute(() -> open(t));
    }

    @Override
    public void lost() {
        thread.execute(() -> {
            if (groups != null && !node.leads(term)) {
                stop(NOT_LEADING);
            }
        });
    }

    private void check() {
        if (closed) {
            return;
        }
        if (groups != null && !node.leads(term)) {
            stop(NOT_LEADING);
        }
        long t = node.leaderTerm();
        if (groups == null && t > 0) {
            open(t);
        }
    }

    private void open(long t) {
        if (closed || groups != null && term == t || !node.leads(t)) {
            return;
        }
        if (groups != null) {
            stop("a new term began");
        }
        try {
            // Everything committed so far applied here first: the groups load what the last leader wrote.
            node.awaitCommittedApplied().toCompletableFuture().get(30, TimeUnit.SECONDS);
            if (!node.leads(t)) {
                return;
            }
            long started = System.nanoTime();
            groups = SharedGroups.open(store, node.systemWriter(t), () -> failed(t));
            term = t;
            LOG.infof("shared groups loaded on the leader of term %d in %d ms", t, (System.nanoTime() - started) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warnf("shared groups not loaded for term %d (retried within %d ms): %s", t, CHECK_MILLIS, e.toString());
        }
    }

    /** An append of the groups failed: the versions handed out are unknown, so they load again from the log. */
    private void failed(long t) {
        thread.execute(() -> {
            if (groups != null && term == t) {
                LOG.warnf("a shared groups record of term %d was not written; reloading them from the log", t);
                stop("the group's state is being reloaded: reconnect");
            }
        });
    }

    private void stop(String why) {
        SharedGroups g = groups;
        groups = null;
        term = -1;
        if (g != null) {
            g.close(why);
            LOG.info("shared groups closed here: " + why);
        }
    }

    @Override
    public void close() {
        try {
            thread.submit(() -> {
                closed = true;
                stop("the server is stopping");
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing the shared groups did not finish", e);
        }
        thread.shutdownNow();
    }
}
