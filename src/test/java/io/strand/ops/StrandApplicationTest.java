package io.strand.ops;

import io.quarkus.test.junit.QuarkusTest;
import io.strand.log.AppendResult;
import io.strand.log.CommitLog;
import io.strand.log.EventRecord;
import io.strand.log.LogCursor;
import io.strand.log.RecordDescriptor;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
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
    StrandConfig config;

    @Test
    void shouldOpenTheLogInTheConfiguredDataDirWithTheConfiguredSizes() throws Exception {
        assertEquals(Path.of("target/test-data"), config.dataDir());
        assertEquals(4 << 20, log.config().segmentSize(), "strand.log.segment-size=4M from the test profile");
        assertEquals(4, log.config().poolBuffers());
        AppendResult r = log.append(new EventRecord[] {EventRecord.of("app-test", "Checked", UUID.randomUUID(), null,
                "{\"ok\":true}".getBytes(), false)}, 1, 0).toCompletableFuture().get();
        try (LogCursor c = log.cursor(r.position())) {
            assertTrue(c.next());
            assertEquals(0, RecordDescriptor.streamVersion(c.buffer(), c.offset()));
        }
        Path segment = config.dataDir().resolve("commitlog").resolve("00000000000000000000");
        assertTrue(Files.exists(segment));
        assertEquals(4 << 20, Files.size(segment));
    }

    @Test
    void shouldServeTheHealthEndpoints() {
        given().when().get("/q/health/live").then().statusCode(200);
    }
}
