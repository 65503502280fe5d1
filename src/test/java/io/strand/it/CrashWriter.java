package io.strand.it;

import io.strand.log.CommitLog;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.StoreConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Child-JVM main for {@link StartupProgressIT}: appends {@code args[1]} events of ~400 bytes with the
 * checkpoints held back (1 h), then halts without closing, like a crash: the next start must scan the
 * whole log and rebuild the whole index.
 */
public final class CrashWriter {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int events = Integer.parseInt(args[1]);
        LogConfig config = new LogConfig(dir, 64 << 20, true, 4, 4 << 20, FlushMode.ASYNC, Duration.ofMillis(500),
                1 << 16, Duration.ofHours(1));
        CommitLog log = CommitLog.open(config);
        EventStore store = EventStore.open(log, StoreConfig.defaults());
        byte[] data = ("{\"pad\":\"" + "x".repeat(300) + "\"}").getBytes();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int i = 0; i < events; i += 100) {
            List<NewEvent> batch = new ArrayList<>(100);
            for (int j = 0; j < 100; j++) {
                batch.add(new NewEvent(UUID.randomUUID(), "Filler", data, null, false));
            }
            pending.add(store.append("crash-" + (i / 100 % 1000), batch, ExpectedVersion.ANY, null).toCompletableFuture());
            if (pending.size() == 64) {
                for (CompletableFuture<?> f : pending) {
                    f.join();
                }
                pending.clear();
            }
        }
        for (CompletableFuture<?> f : pending) {
            f.join();
        }
        System.out.println("WROTE " + log.committedPosition());
        Runtime.getRuntime().halt(0);
    }
}
