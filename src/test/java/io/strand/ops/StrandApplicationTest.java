package io.strand.ops;

import io.quarkus.test.junit.QuarkusTest;
import io.strand.log.CommitLog;
import io.strand.log.LogCursor;
import io.strand.log.RecordDescriptor;
import io.strand.store.AppendOutcome;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The application wires the log from the {@code strand.} configuration and serves over a real socket. */
@QuarkusTest
class StrandApplicationTest {
    @Inject
    CommitLog log;

    @Inject
    EventStore store;

    @Inject
    StrandConfig config;

    @Test
    void shouldOpenTheLogInTheConfiguredDataDirWithTheConfiguredSizes() throws Exception {
        assertEquals(Path.of("target/test-data"), config.dataDir());
        assertEquals(4 << 20, log.config().segmentSize(), "strand.log.segment-size=4M from the test profile");
        assertEquals(4, log.config().poolBuffers());
        AppendOutcome r = store.append("app-test", List.of(NewEvent.json(UUID.randomUUID(), "Checked", "{\"ok\":true}")),
                ExpectedVersion.ANY, null).toCompletableFuture().get();
        try (LogCursor c = log.cursor(r.position())) {
            assertTrue(c.next());
            assertEquals(r.firstVersion(), RecordDescriptor.streamVersion(c.buffer(), c.offset()));
        }
        assertEquals(r.lastVersion(), store.streamInfo("app-test").lastVersion());
        // The segment holding the event (other tests may have run retention on older ones).
        long base = r.position() - r.position() % (4 << 20);
        Path segment = config.dataDir().resolve("commitlog").resolve(io.strand.log.Segment.fileName(base));
        assertTrue(Files.exists(segment));
        assertEquals(4 << 20, Files.size(segment));
    }

    @Test
    void shouldServeTheHealthEndpoints() {
        given().when().get("/q/health/live").then().statusCode(200);
    }
}
