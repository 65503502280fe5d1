package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A close from an interrupted thread (a shutdown hook, an executor being shut down) must still be a
 * clean shutdown: it waits for the commit thread before the pool's buffers are freed (freeing them
 * under it is a use-after-free of direct memory), commits and flushes everything, writes the
 * clean-shutdown marker, and hands the interrupt back.
 */
class InterruptedCloseTest {

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void shouldCloseCleanlyFromAnInterruptedThread(boolean pool, @TempDir Path dir) throws Exception {
        Set<Thread> before = logThreads();
        CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC));
        Set<Thread> started = logThreads();
        started.removeAll(before);
        List<CompletableFuture<AppendResult>> appends = appendForty(log);
        callInterrupted(log::close);
        for (Thread t : started) {
            assertFalse(t.isAlive(), "stopped before close returned: " + t.getName());
        }
        long end = 0;
        for (CompletableFuture<AppendResult> f : appends) {
            assertTrue(f.isDone() && !f.isCompletedExceptionally(), "every accepted append was committed");
            end = f.get().endPosition();
        }
        try (CommitLog reopened = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC))) {
            assertTrue(reopened.recoveredCleanly(), "the interrupted close was a clean shutdown");
            assertEquals(end, reopened.committedPosition());
        }
    }

    /**
     * stopAppends() promises everything appended is committed when it returns, interrupted or not.
     * The commit thread is held up (it cannot get its first segment while another thread holds the
     * segment list's monitor) so that bytes are still in the pool when the interrupted call starts.
     */
    @Test
    void shouldCommitEverythingBeforeStopAppendsReturnsWhenInterrupted(@TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            CountDownLatch held = new CountDownLatch(1);
            Thread staller = new Thread(() -> {
                synchronized (log.segments()) {
                    held.countDown();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
                }
            });
            staller.start();
            held.await();
            List<CompletableFuture<AppendResult>> appends = appendForty(log);
            callInterrupted(log::stopAppends);
            assertEquals(log.writtenPosition(), log.committedPosition(), "everything appended was committed");
            for (CompletableFuture<AppendResult> f : appends) {
                f.get(10, TimeUnit.SECONDS);
            }
            staller.join();
        }
    }

    private static Set<Thread> logThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("strand-commit") || t.getName().equals("strand-flush"))
                .filter(Thread::isAlive)
                .collect(Collectors.toSet());
    }

    interface Call {
        void run() throws Exception;
    }

    private static List<CompletableFuture<AppendResult>> appendForty(CommitLog log) {
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            appends.add(log.append(new EventRecord[] {TestRecords.record(i)}, 1, i).toCompletableFuture());
        }
        return appends;
    }

    /** Runs {@code call} with this thread's interrupt flag set and checks the flag is handed back. */
    private static void callInterrupted(Call call) throws Exception {
        boolean interrupted;
        Thread.currentThread().interrupt();
        try {
            call.run();
        } finally {
            interrupted = Thread.interrupted();
        }
        assertTrue(interrupted, "the interrupt is handed back");
    }
}
