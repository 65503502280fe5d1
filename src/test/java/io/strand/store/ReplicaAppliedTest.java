package io.strand.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A replica's applied position (what a read that names a position waits for): a record counts once
 * it is committed and its stream's index has it, and what the log held at open counts at once.
 */
class ReplicaAppliedTest {
    private static final long T0 = 1_800_000_000_000L;

    @Test
    void aRecordCountsAsAppliedOnceItsStreamCanReadIt(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            Replica r = f.store.replica();
            CompletableFuture<Void> later = r.awaitApplied(1).toCompletableFuture();
            assertFalse(later.isDone(), "nothing applied yet");
            AppendOutcome o = r.applyReplicated("s", List.of(event(1)), ExpectedVersion.ANY, true, T0, 1)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 50; i++) {
                r.awaitApplied(o.position() + 1).toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertEquals(event(1).id(), f.store.readEvent("s", 0).id(), "readable through its stream once applied");
                AppendOutcome next = r.applyReplicated("s-" + i, List.of(event(100 + i)), ExpectedVersion.ANY, true, T0, 2 + i)
                        .toCompletableFuture().get(10, TimeUnit.SECONDS);
                r.awaitApplied(next.position() + 1).toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertEquals(0, f.store.streamInfo("s-" + i).lastVersion());
            }
            later.get(10, TimeUnit.SECONDS);
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            long end = f.store.replica().committedPosition();
            f.store.replica().awaitApplied(end).toCompletableFuture().get(1, TimeUnit.SECONDS); // held at open: no wait
        }
    }
}
