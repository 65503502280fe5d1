package io.strand.ops;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /q/metrics carries Strand's meters under Prometheus names, and they move with real appends. */
@QuarkusTest
class MetricsTest {
    @Test
    void shouldExposeStrandMetersThatCountAppends() {
        given().contentType("application/json").body("{\"type\":\"M\",\"data\":1}").post("/streams/metrics-a")
                .then().statusCode(201);
        given().contentType("application/json").header("Durability", "fsync").body("{\"type\":\"M\",\"data\":2}")
                .post("/streams/metrics-a").then().statusCode(201);
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String name : new String[]{"strand_appends_total", "strand_append_bytes_total", "strand_append_seconds_bucket",
                "strand_fsync_seconds_bucket", "strand_commit_lag_bytes", "strand_flush_lag_bytes", "strand_pool_buffers_in_use",
                "strand_pool_memory_locked", "strand_log_segments", "strand_log_bytes", "strand_disk_free_bytes",
                "strand_subscriptions_active", "strand_subscription_lag_max_bytes", "strand_dedup_ids",
                "strand_dedup_dropped_early_total", "strand_corrupt_records_total", "strand_scrub_verified_bytes_total",
                "http_server_requests_seconds"}) {
            assertTrue(body.contains(name), name + " missing from /q/metrics");
        }
        double appends = value(body, "strand_appends_total");
        assertTrue(appends >= 2, "appends counted: " + appends);
        assertTrue(value(body, "strand_fsync_seconds_count") >= 1, "fsyncs timed");
        given().get("/q/metrics").then().body(containsString("strand_append_seconds_count"));
    }

    private static double value(String body, String name) {
        for (String line : body.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError(name + " not found");
    }
}
