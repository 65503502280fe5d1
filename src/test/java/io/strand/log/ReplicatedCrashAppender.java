package io.strand.log;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Child-JVM main for {@link ReplicatedCrashTest}: applies "entries" k = lastRaftIndex() + 1, k + 1, ...
 * forever, entry k a batch of {@code k % 3 + 1} records with raft index k and timestamp
 * {@code T0 + k}, with up to 32 in flight, printing {@code ACK k} once each is committed. The parent
 * kills it with SIGKILL at a random moment.
 */
public final class ReplicatedCrashAppender {
    static final long T0 = 1_700_000_000_000L;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean pool = Boolean.parseBoolean(args[1]);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, pool, FlushMode.ASYNC));
        long k = log.lastRaftIndex() + 1;
        out.println("START " + k);
        ArrayDeque<CompletableFuture<AppendResult>> inFlight = new ArrayDeque<>();
        while (true) {
            int count = (int) (k % 3) + 1;
            EventRecord[] batch = new EventRecord[count];
            for (int j = 0; j < count; j++) {
                batch[j] = TestRecords.record(k * 3 + j);
            }
            long entry = k;
            CompletableFuture<AppendResult> f = log.append(batch, count, k * 3, Durability.COMMITTED, T0 + k, k, Placement.NONE)
                    .toCompletableFuture();
            if (f.isCompletedExceptionally()) {
                try {
                    f.join();
                } catch (java.util.concurrent.CompletionException e) {
                    if (!(e.getCause() instanceof LogOverloadedException)) {
                        e.printStackTrace();
                        System.exit(3); // never spin forever on a real failure
                    }
                }
                if (!inFlight.isEmpty()) {
                    inFlight.poll().join();
                }
                continue; // overloaded: apply the same entry again
            }
            f.thenAccept(r -> out.println("ACK " + entry));
            inFlight.add(f);
            if (inFlight.size() >= 32) {
                inFlight.poll().join();
            }
            k++;
        }
    }
}
