package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strand.log.CommitLog;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Below the free-space floor appends get 507 and nothing is written. This machine cannot fill a
 * disk safely, so the test sets a floor (1 PiB) above the real free space.
 */
@QuarkusTest
@TestProfile(DiskFullTest.HugeFloor.class)
class DiskFullTest {
    public static class HugeFloor implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strand.disk.min-free", "1048576G");
        }
    }

    @Inject
    CommitLog log;

    @Test
    void shouldRefuseAppendsWith507BelowTheFloorAndWriteNothing() {
        long before = log.committedPosition();
        given().contentType("application/json").body("{\"type\":\"T\",\"data\":1}")
                .post("/streams/disk-full")
                .then().statusCode(507)
                .contentType("application/problem+json")
                .body("status", equalTo(507))
                .body("title", notNullValue())
                .body("detail", notNullValue())
                .body("type", equalTo("urn:strand:problem:insufficient-storage"));
        given().contentType("application/json").body("{\"version\":1}")
                .put("/groups/g/streams/disk-full")
                .then().statusCode(507);
        assertEquals(before, log.committedPosition(), "nothing written");
        given().get("/streams").then().statusCode(200); // reads still work
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'strand-ready' }.data.reason", equalTo("free space below strand.disk.min-free"));
        given().get("/q/health/live").then().statusCode(200); // nothing a restart would fix
    }
}
