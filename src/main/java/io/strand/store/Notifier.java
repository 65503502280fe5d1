package io.strand.store;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The store's one notifier thread: runs subscribers' wake-ups (and work that must wait for a
 * commit) off the log's commit and flush threads, so commit latency does not grow with
 * subscribers, and a subscriber whose wake-up blocks delays other wake-ups, never an append.
 *
 * <p>The commit side only signals: {@link #post} pushes a {@link Notice} (the append's own
 * completion object, already allocated: no allocation here) on a lock-free stack with one CAS,
 * {@link #signal} sets {@code pending} and unparks the thread only when it was not pending, so
 * many commits coalesce into one pass. A pass runs the queued tasks, delivers every notice, and
 * wakes the {@code $all} listeners when the committed position moved. When no subscription is
 * open ({@link #interested()} false) the append side posts nothing at all.
 *
 * <p>Ordering: a poster pushes (CAS on {@code notices}) and then sets {@code pending} with
 * {@code getAndSet}; the thread clears {@code pending} with {@code getAndSet} before it takes the
 * stack with {@code getAndSet}, so a notice pushed after the take set {@code pending} again and is
 * delivered by the next pass. Between passes it parks; {@code unpark} before {@code park} is kept
 * as a permit, so a signal is never lost.
 *
 * <p>Thread-safe. Tasks handed over after {@link #close} run on the caller's thread, so a stage
 * waiting on one still completes while the store shuts down.
 */
final class Notifier implements Runnable, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Notifier.class.getName());
    private static final Runnable[] NONE = new Runnable[0];

    /** One thing to deliver on the notifier thread; an intrusive stack node, posted at most once. */
    abstract static class Notice {
        Notice next;

        /** Runs on the notifier thread. */
        abstract void deliver();
    }

    private final LongSupplier committedPosition;
    private final AtomicReference<Notice> notices = new AtomicReference<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean pending = new AtomicBoolean();
    private final AtomicInteger interest = new AtomicInteger();
    private final Thread thread;
    private volatile Runnable[] allListeners = NONE;
    private volatile boolean stopped;
    private long allWokenAt = -1; // notifier thread only

    Notifier(LongSupplier committedPosition, String name) {
        this.committedPosition = committedPosition;
        this.thread = new Thread(this, name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** True while some subscription is open: only then does the append side post notices. */
    boolean interested() {
        return interest.get() > 0;
    }

    /** A subscription opened (before it registers for wake-ups and first reads). */
    void addInterest() {
        interest.incrementAndGet();
    }

    void removeInterest() {
        interest.decrementAndGet();
    }

    /** Delivers {@code notice} on the notifier thread, soon. Cheap: one CAS, and an unpark when idle. */
    void post(Notice notice) {
        Notice head;
        do {
            head = notices.get();
            notice.next = head;
        } while (!notices.compareAndSet(head, notice));
        signal();
    }

    /** Something was committed (or posted): run a pass soon. Coalesces: unparks only when not yet pending. */
    void signal() {
        if (!pending.getAndSet(true)) {
            LockSupport.unpark(thread);
        }
    }

    /** Runs {@code task} on the notifier thread (after commits, never on the commit thread); inline once closed. */
    void execute(Runnable task) {
        tasks.add(task);
        signal();
        if (stopped) {
            runTasks(); // the thread may be gone: whoever polls a task runs it, exactly once
        }
    }

    /** Woken by every pass that sees the committed position move ({@code $all} subscriptions). */
    synchronized void addAllListener(Runnable listener) {
        Runnable[] next = Arrays.copyOf(allListeners, allListeners.length + 1);
        next[next.length - 1] = listener;
        allListeners = next;
    }

    synchronized void removeAllListener(Runnable listener) {
        Runnable[] cur = allListeners;
        for (int i = 0; i < cur.length; i++) {
            if (cur[i] == listener) {
                Runnable[] next = new Runnable[cur.length - 1];
                System.arraycopy(cur, 0, next, 0, i);
                System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                allListeners = next;
                return;
            }
        }
    }

    /** True when there are {@code $all} listeners: only then is a bare commit worth a signal. */
    boolean hasAllListeners() {
        return allListeners.length > 0;
    }

    @Override
    public void run() {
        while (true) {
            if (pending.getAndSet(false)) {
                pass();
            } else if (stopped) {
                return;
            } else {
                LockSupport.park(this);
            }
        }
    }

    private void pass() {
        runTasks();
        Notice n = notices.getAndSet(null);
        while (n != null) {
            Notice next = n.next;
            n.next = null;
            try {
                n.deliver();
            } catch (RuntimeException | Error e) {
                LOG.log(Level.WARNING, "a subscriber's wake-up failed", e);
            }
            n = next;
        }
        Runnable[] all = allListeners; // read before the position: a listener added later reads for itself
        long committed = committedPosition.getAsLong();
        if (committed != allWokenAt) {
            allWokenAt = committed;
            for (Runnable r : all) {
                try {
                    r.run();
                } catch (RuntimeException | Error e) {
                    LOG.log(Level.WARNING, "a subscriber's wake-up failed", e);
                }
            }
        }
    }

    private void runTasks() {
        Runnable t;
        while ((t = tasks.poll()) != null) {
            try {
                t.run();
            } catch (RuntimeException | Error e) {
                LOG.log(Level.WARNING, "a task after a commit failed", e);
            }
        }
    }

    /** True while the thread runs (for tests and health). */
    boolean alive() {
        return thread.isAlive();
    }

    /** Stops the thread after a last pass; tasks handed over later run on their caller. */
    @Override
    public void close() {
        stopped = true;
        signal();
        if (Thread.currentThread() == thread) {
            return; // closed from a wake-up: the loop ends after this pass
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runTasks();
    }
}
