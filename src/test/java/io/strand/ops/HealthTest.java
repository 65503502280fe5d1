package io.strand.ops;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

/** The three probes do real work and report their figures. */
@QuarkusTest
class HealthTest {
    @Test
    void shouldReportStartedWithTheOpeningFigures() {
        given().get("/q/health/started").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("strand-started"))
                .body("checks.find { it.name == 'strand-started' }.data.phase", equalTo("finished"))
                .body("checks.find { it.name == 'strand-started' }.data.openMillis", greaterThanOrEqualTo(0));
    }

    @Test
    void shouldReportLiveWithThreadsAndPositions() {
        given().get("/q/health/live").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'strand-live' }.data.threadsAlive", equalTo(true))
                .body("checks.find { it.name == 'strand-live' }.data.committedPosition", notNullValue());
    }

    @Test
    void shouldReportReadyWithDiskAndPoolFigures() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'strand-ready' }.data.freeBytes", notNullValue())
                .body("checks.find { it.name == 'strand-ready' }.data.poolBuffersFree", notNullValue())
                .body("checks.find { it.name == 'strand-ready' }.data.memoryLocked", notNullValue());
    }
}
