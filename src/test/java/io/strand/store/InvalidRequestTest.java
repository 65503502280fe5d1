package io.strand.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every check of a client's input fails with {@link InvalidRequestException} (the one store failure
 * HTTP answers with 400), never with {@link IllegalArgumentException} (a bug: 500), and the log
 * never sees a bad position.
 */
class InvalidRequestTest {

    @Test
    void shouldRefuseBadClientInputWithInvalidRequestException(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            long position = f.append("s", ExpectedVersion.ANY, event(0)).position();
            long committed = f.log.committedPosition();

            assertThrows(InvalidRequestException.class, () -> ExpectedVersion.parse("-3"));
            assertThrows(InvalidRequestException.class, () -> ExpectedVersion.parse("soon"));
            assertThrows(InvalidRequestException.class, () -> StreamNames.check("stream", "$all"));
            assertThrows(InvalidRequestException.class, () -> f.append("s", -7, event(1)), "an unknown marker");
            assertThrows(InvalidRequestException.class, () -> f.append("s", ExpectedVersion.ANY,
                    new NewEvent(UUID.randomUUID(), "t".repeat(70_000), new byte[0], null, true)), "a type too long");
            assertThrows(InvalidRequestException.class, () -> f.store.listStreams(0, 0));
            assertThrows(InvalidRequestException.class, () -> f.store.readStream("s", 0, 1_000_000, Direction.FORWARD));
            assertThrows(InvalidRequestException.class, () -> f.store.readAll(0, -1));
            for (long bad : new long[]{position + 4, committed + 8, committed + 1_000_000, -16}) {
                assertThrows(InvalidRequestException.class, () -> f.store.checkRecordBoundary(bad), "position " + bad);
            }
            assertThrows(InvalidRequestException.class, () -> f.store.readAll(committed + 8, 10),
                    "beyond the committed end: refused by the store, not the log's IllegalArgumentException");
            assertInstanceOf(InvalidRequestException.class, failure(() -> f.store.commitGroup("g", "s", -2)));
            assertInstanceOf(InvalidRequestException.class, failure(() -> f.store.commitGroup("a/b", "s", 0)));
            assertInstanceOf(InvalidRequestException.class, failure(() -> f.store.commitGroup("g", "", 0)));
            assertEquals(committed, f.log.committedPosition(), "nothing was written");
        }
    }

    private static Throwable failure(java.util.function.Supplier<java.util.concurrent.CompletionStage<Void>> call) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> call.get().toCompletableFuture().get(30, TimeUnit.SECONDS));
        return e.getCause();
    }
}
