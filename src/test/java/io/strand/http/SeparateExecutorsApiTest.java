package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strand.store.EventStore;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With the transient pool off, appends leave the event loop for a thread that may fault on the
 * mapping: they run on the {@link AppendExecutor}, never on the read threads, so a read executor that
 * is saturated (every thread busy, queue full) answers reads 503 while appends still get 201 — and
 * re-sent batches, whose repeat check reads the log, are answered too.
 */
@QuarkusTest
@TestProfile(SeparateExecutorsApiTest.PoolOffOneReader.class)
class SeparateExecutorsApiTest {
    public static class PoolOffOneReader implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strand.log.transient-pool.enabled", "false",
                    "strand.http.read-threads", "1", "strand.http.read-queue", "1");
        }
    }

    @Inject
    ReadExecutor readers;

    @Inject
    EventStore store;

    @Test
    void shouldAppendWhileTheReadExecutorIsSaturated() throws Exception {
        String stream = ApiSupport.unique("separate");
        assertEquals(201, ApiSupport.appendJson(stream, "{\"type\":\"T\",\"data\":0}").statusCode());
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        Runnable block = () -> {
            running.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        readers.execute(block); // the one read thread
        assertTrue(running.await(10, TimeUnit.SECONDS));
        readers.execute(block); // the one queue slot
        try {
            assertThrows(RejectedExecutionException.class, () -> readers.execute(() -> { }), "the read executor is full");
            ApiSupport.assertProblem(given().get("/streams/{s}", stream), 503); // reads are refused...
            for (int i = 1; i <= 5; i++) { // ...appends are not
                assertEquals(201, ApiSupport.appendJson(stream, "{\"type\":\"T\",\"data\":" + i + "}").statusCode());
            }
            String id = java.util.UUID.randomUUID().toString();
            String event = "{\"id\":\"" + id + "\",\"type\":\"T\",\"data\":6}";
            assertEquals(201, ApiSupport.appendJson(stream, event).statusCode());
            // a re-send reads the log for its repeat check: on the append threads as well
            io.restassured.response.Response again = ApiSupport.appendJson(stream, event);
            assertEquals(201, again.statusCode(), again.asString());
            assertEquals(6, again.jsonPath().getLong("firstVersion"), "the original outcome");
        } finally {
            release.countDown();
        }
        assertEquals(6, store.streamInfo(stream).lastVersion());
    }
}
