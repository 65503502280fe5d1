package io.strand.store;

import io.strand.log.Durability;
import io.strand.log.LogOverloadedException;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Child-JVM main for {@link StoreCrashTest}: appends batches of 1-3 events to 23 streams with up to
 * 32 appends in flight, printing {@code ACK round seq count stream firstVersion position} when each
 * completes, and commits a consumer-group position every 50 batches, printing {@code GROUP version}
 * once the commit returned. Odd rounds run with the pool off. The parent kills it with SIGKILL.
 */
public final class StoreCrashAppender {
    static final String GROUP = "crash-group";
    static final String GROUP_STREAM = "k-0";

    static String stream(long seq) {
        return "k-" + (seq % 23);
    }

    static NewEvent event(int round, long seq) {
        String json = "{\"round\":" + round + ",\"seq\":" + seq + ",\"pad\":\"" + "p".repeat((int) (seq % 97)) + "\"}";
        return new NewEvent(new UUID(round + 1, seq), "Crash" + (seq % 4), json.getBytes(StandardCharsets.UTF_8), null, false);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        StoreFixture f = round % 2 == 0 ? StoreFixture.open(dir) : StoreFixture.openWithoutPool(dir);
        out.println("START " + f.log.committedPosition());
        ArrayDeque<CompletableFuture<AppendOutcome>> inFlight = new ArrayDeque<>();
        long seq = 0;
        long batches = 0;
        while (true) {
            int count = (int) (seq % 3) + 1;
            List<NewEvent> batch = new ArrayList<>();
            for (int j = 0; j < count; j++) {
                batch.add(event(round, seq + j));
            }
            long first = seq;
            Durability durability = batches % 5 == 0 ? Durability.FLUSHED : null;
            CompletableFuture<AppendOutcome> c = f.store.append(stream(seq), batch, ExpectedVersion.ANY, durability)
                    .toCompletableFuture();
            if (c.isCompletedExceptionally()) {
                try {
                    c.join();
                } catch (CompletionException e) {
                    if (!(e.getCause() instanceof LogOverloadedException)) {
                        e.printStackTrace();
                        System.exit(3);
                    }
                }
                if (!inFlight.isEmpty()) {
                    inFlight.poll().join();
                }
                continue;
            }
            c.thenAccept(o -> out.println("ACK " + round + " " + first + " " + count + " " + o.stream() + " "
                    + o.firstVersion() + " " + o.position()));
            inFlight.add(c);
            if (inFlight.size() >= 32) {
                inFlight.poll().join();
            }
            seq += count;
            if (++batches % 50 == 0) {
                long v = batches;
                f.store.commitGroup(GROUP, GROUP_STREAM, v).toCompletableFuture().join();
                out.println("GROUP " + v);
            }
        }
    }
}
