package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strand.store.EventStore;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With room for one waiting append only, a burst of concurrent appends is partly refused at once
 * with 503 + Retry-After (never queued), and every refused append wrote nothing.
 */
@QuarkusTest
@TestProfile(OverloadApiTest.OnePendingAppend.class)
class OverloadApiTest {
    public static class OnePendingAppend implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strand.log.max-pending-appends", "1", "strand.log.flush", "sync");
        }
    }

    @TestHTTPResource("/streams/overload")
    URL url;

    @Inject
    EventStore store;

    @Test
    void shouldAnswerABurstBeyondCapacityWith503AndRetryAfter() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String stream = "overload-" + System.nanoTime();
        URI uri = URI.create(url.toString().replace("/streams/overload", "/streams/" + stream));
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            sent.add(http.sendAsync(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"T\",\"data\":" + i + "}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int created = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.join();
            if (r.statusCode() == 201) {
                created++;
            } else {
                assertEquals(503, r.statusCode(), r.body());
                assertTrue(r.headers().firstValue("Retry-After").isPresent(), "Retry-After on 503");
                assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
                assertEquals(503, new JsonObject(r.body()).getInteger("status"));
                refused++;
            }
        }
        assertTrue(created > 0, "some appends went through");
        assertTrue(refused > 0, "a burst of 300 over one pending slot is partly refused");
        assertEquals(created - 1, store.streamInfo(stream).lastVersion(), "refused appends wrote nothing");
    }
}
