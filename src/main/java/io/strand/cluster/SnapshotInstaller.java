package io.strand.cluster;

import io.strand.store.Replica;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Installs the leader's snapshot on a follower behind the leader's Raft purge point: reads the
 * leader's latest snapshot {@code (term, index, position)}, copies the leader's CommitLog up to that
 * position ({@link LogCopier}), forces it, and records the snapshot as this replica's own. One install
 * at a time, on a thread of its own: Ratis's threads must not wait for a copy of gigabytes.
 */
final class SnapshotInstaller implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SnapshotInstaller.class.getName());

    private final StoreStateMachine stateMachine;
    private final Replica replica;
    private final Function<String, LeaderLog> leaderLogs;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "strand-snapshot-install");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong installs = new AtomicLong();
    private volatile boolean closed;

    SnapshotInstaller(StoreStateMachine stateMachine, Replica replica, Function<String, LeaderLog> leaderLogs) {
        this.stateMachine = stateMachine;
        this.replica = replica;
        this.leaderLogs = leaderLogs;
    }

    /** Starts an install from {@code leaderId}; completes with the snapshot this replica then holds. */
    CompletableFuture<TermIndex> install(String leaderId, TermIndex firstInLeaderLog) {
        CompletableFuture<TermIndex> result = new CompletableFuture<>();
        if (!running.compareAndSet(false, true)) {
            return CompletableFuture.failedFuture(new IllegalStateException("a snapshot install is already running"));
        }
        try {
            thread.execute(() -> {
                try {
                    result.complete(run(leaderId, firstInLeaderLog));
                } catch (Throwable t) {
                    LOG.log(System.Logger.Level.WARNING, "installing the leader's snapshot from " + leaderId
                            + " failed (Ratis asks again later): " + t, t);
                    result.completeExceptionally(t);
                } finally {
                    running.set(false);
                }
            });
        } catch (RejectedExecutionException e) { // closed
            running.set(false);
            result.completeExceptionally(e);
        }
        return result;
    }

    private TermIndex run(String leaderId, TermIndex firstInLeaderLog) throws IOException, InterruptedException {
        LeaderLog leader = leaderId == null ? null : leaderLogs.apply(leaderId);
        if (leader == null) {
            throw new IOException("no leader to copy the log from (leader id " + leaderId + ")");
        }
        SnapshotFile target = leader.snapshot();
        if (target == null) {
            throw new IOException("leader " + leaderId + " has no snapshot yet");
        }
        if (firstInLeaderLog != null && target.index() + 1 < firstInLeaderLog.getIndex()) {
            // Not the node that purged (leadership moved?): Ratis asks again, perhaps naming another.
            throw new IOException("the snapshot " + target + " of " + leaderId + " does not reach the leader's Raft log,"
                    + " which starts at " + firstInLeaderLog);
        }
        ReentrantLock applying = stateMachine.applyingLock();
        TermIndex last = stateMachine.getLastAppliedTermIndex();
        if (target.index() <= last.getIndex()) {
            // Nothing to copy; the answer must be a snapshot Ratis can load (it reloads the latest one).
            LOG.log(System.Logger.Level.INFO, "the leader's snapshot " + target + " is not beyond what this replica"
                    + " applied (" + last + "): answering with its own");
            applying.lock();
            try {
                SnapshotFile own = stateMachine.snapshot();
                if (own == null || own.index() < last.getIndex()) {
                    stateMachine.takeSnapshot();
                }
                return stateMachine.getLatestSnapshot().getTermIndex();
            } finally {
                applying.unlock();
            }
        }
        long started = System.nanoTime();
        long from = replica.committedPosition();
        LOG.log(System.Logger.Level.INFO, "installing snapshot " + target + " from leader " + leaderId + " (its Raft log"
                + " starts at " + firstInLeaderLog + "): copying its CommitLog from position " + from);
        long records = 0;
        if (from < target.position()) {
            records = new LogCopier(replica, applying, stateMachine::copiedThrough, () -> closed).copy(leader, target);
        }
        applying.lock();
        try {
            long durable = stateMachine.flush();
            if (durable < target.position()) {
                throw new IOException("the CommitLog is durable up to " + durable + " only, not " + target.position());
            }
            stateMachine.recordSnapshot(target);
            stateMachine.installed(target);
        } finally {
            applying.unlock();
        }
        installs.incrementAndGet();
        LOG.log(System.Logger.Level.INFO, "installed snapshot " + target + " from leader " + leaderId + ": copied "
                + records + " records (" + (target.position() - Math.min(from, target.position())) + " bytes) in "
                + (System.nanoTime() - started) / 1_000_000 + " ms");
        return TermIndex.valueOf(target.term(), target.index());
    }

    /** Installs completed since this node started. */
    long installs() {
        return installs.get();
    }

    /** Stops a copy between chunks (an HTTP read in progress is interrupted) and waits for it, before the store closes. */
    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "a snapshot install is still running after 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
