package io.strand.store;

import io.strand.log.Concurrently;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many threads race to append the next version of one stream: exactly one wins each version. */
class ExpectedVersionRaceTest {
    private static final int VERSIONS = 2000;

    @Test
    void shouldLetExactlyOneAppenderWinEachVersion(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            ConcurrentHashMap<Long, UUID> winners = new ConcurrentHashMap<>();
            AtomicInteger conflicts = new AtomicInteger();
            Concurrently.run(8, t -> {
                long seq = 0;
                while (true) {
                    long current = f.store.index().catalog().get("race") == null ? -1 : lastVersion(f);
                    if (current >= VERSIONS - 1) {
                        return;
                    }
                    long expected = current < 0 ? ExpectedVersion.NO_STREAM : current;
                    UUID id = new UUID(t, seq++);
                    try {
                        AppendOutcome o = f.store.append("race", List.of(NewEvent.json(id, "Won", "{\"t\":" + t + "}")),
                                expected, null).toCompletableFuture().join();
                        assertEquals(current + 1, o.firstVersion(), "the winner gets the next version");
                        assertNull(winners.put(o.firstVersion(), id), "two winners for version " + o.firstVersion());
                    } catch (CompletionException e) {
                        if (!(e.getCause() instanceof WrongExpectedVersionException w)) {
                            throw e;
                        }
                        assertTrue(w.current() > current || current < 0, "a loser is told a newer version");
                        conflicts.incrementAndGet();
                    }
                }
            });
            assertEquals(VERSIONS, winners.size());
            assertTrue(conflicts.get() > 0, "the threads really raced");
            for (long v = 0; v < VERSIONS; v++) {
                assertEquals(winners.get(v), f.store.readEvent("race", v).id(), "version " + v + " holds its winner's event");
            }
            assertEquals(VERSIONS - 1, f.store.streamInfo("race").lastVersion());
        }
    }

    private static long lastVersion(StoreFixture f) {
        try {
            return f.store.streamInfo("race").lastVersion();
        } catch (StreamNotFoundException e) {
            return -1;
        }
    }
}
