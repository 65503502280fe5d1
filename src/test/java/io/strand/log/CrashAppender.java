package io.strand.log;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Child-JVM main for {@link CrashRecoveryTest}: opens the log, continues the version sequence found
 * in it, and appends deterministic batches forever with up to 32 appends in flight, printing
 * {@code ACK firstVersion count position endPosition} once each batch's stage completes. The parent
 * kills it with SIGKILL at a random moment.
 */
public final class CrashAppender {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean pool = Boolean.parseBoolean(args[1]);
        Durability durability = Durability.valueOf(args[2]);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        // Sync flush mode also exercises the commit thread's zeros ahead of the records.
        FlushMode mode = args.length > 3 ? FlushMode.valueOf(args[3]) : FlushMode.ASYNC;
        CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, mode));
        long version = 0;
        try (LogCursor c = log.cursor(log.firstPosition())) {
            while (c.next()) {
                version = RecordDescriptor.streamVersion(c.buffer(), c.offset()) + 1;
            }
        }
        out.println("START " + version + " " + log.committedPosition());
        ArrayDeque<CompletableFuture<AppendResult>> inFlight = new ArrayDeque<>();
        while (true) {
            int count = (int) (version % 3) + 1;
            EventRecord[] batch = new EventRecord[count];
            for (int j = 0; j < count; j++) {
                batch[j] = TestRecords.record(version + j);
            }
            CompletableFuture<AppendResult> f = log.append(batch, count, version, durability).toCompletableFuture();
            if (f.isCompletedExceptionally()) {
                try {
                    f.join();
                } catch (java.util.concurrent.CompletionException e) {
                    if (!(e.getCause() instanceof LogOverloadedException)) {
                        e.printStackTrace();
                        System.exit(3); // never spin forever on a real failure
                    }
                }
                Thread.onSpinWait();
                if (!inFlight.isEmpty()) {
                    inFlight.poll().join();
                }
                continue; // overloaded: retry the same versions
            }
            f.thenAccept(r -> out.println("ACK " + r.firstVersion() + " " + r.count() + " " + r.position() + " " + r.endPosition()));
            inFlight.add(f);
            if (inFlight.size() >= 32) {
                inFlight.poll().join();
            }
            version += count;
        }
    }
}
