package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code fromTime=}: reads and subscriptions of a stream and of {@code $all} start at the first event at or after a time. */
@QuarkusTest
class TimeApiTest {
    @TestHTTPResource("/")
    URL base;

    private final String stream = "time-" + UUID.randomUUID().toString().substring(0, 8);

    /** Three events 30 ms apart; their timestamps. */
    private Instant[] appendThree() throws InterruptedException {
        Instant[] at = new Instant[3];
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                Thread.sleep(30);
            }
            long position = given().contentType("application/json").body("{\"type\":\"T" + i + "\",\"data\":{}}")
                    .post("/streams/" + stream).then().statusCode(201).extract().jsonPath().getLong("position");
            at[i] = Instant.parse(given().get("/streams/" + stream + "/" + i).then().statusCode(200).extract().jsonPath()
                    .getString("timestamp"));
            assertTrue(position >= 0);
        }
        return at;
    }

    /** The query is encoded here already. */
    private static io.restassured.specification.RequestSpecification raw() {
        return given().urlEncodingEnabled(false);
    }

    private static String q(Instant t) {
        return URLEncoder.encode(t.toString(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldStartAStreamAtTheFirstEventAtOrAfterATime() throws Exception {
        Instant[] at = appendThree();
        assertEquals(List.of(1, 2), raw().get("/streams/" + stream + "?fromTime=" + q(at[1])).then().statusCode(200)
                .extract().jsonPath().getList("events.version"));
        assertEquals(List.of(1, 2), raw().get("/streams/" + stream + "?fromTime=" + q(at[0].plusMillis(1)))
                .then().statusCode(200).extract().jsonPath().getList("events.version"), "between two events: the later");
        assertEquals(List.of(0, 1, 2), raw().get("/streams/" + stream + "?fromTime=2000-01-01T00:00:00Z")
                .then().statusCode(200).extract().jsonPath().getList("events.version"));
        assertEquals(0, raw().get("/streams/" + stream + "?fromTime=" + q(at[2].plusSeconds(60))).then().statusCode(200)
                .extract().jsonPath().getList("events").size(), "after the last: nothing");
        // any offset, fractions of a second
        String offset = OffsetDateTime.ofInstant(at[2], ZoneOffset.ofHours(2)).toString();
        assertEquals(List.of(2), raw().get("/streams/" + stream + "?fromTime=" + URLEncoder.encode(offset, StandardCharsets.UTF_8))
                .then().statusCode(200).extract().jsonPath().getList("events.version"));
        raw().get("/streams/" + stream + "?fromTime=yesterday").then().statusCode(400).contentType("application/problem+json");
        raw().get("/streams/" + stream + "?from=0&fromTime=" + q(at[1])).then().statusCode(400);
        raw().get("/streams/" + stream + "?direction=backward&fromTime=" + q(at[1])).then().statusCode(400);
        try (SseClient c = SseClient.open(base.toString().replaceAll("/$", "") + "/streams/" + stream + "?fromTime=" + q(at[2]))) {
            assertEquals("2", c.take(1, 10).get(0).id());
        }
    }

    @Test
    void shouldStartTheGlobalLogAtATime() throws Exception {
        Instant[] at = appendThree();
        JsonPath page = raw().get("/all?limit=2&fromTime=" + q(at[1])).then().statusCode(200).extract().jsonPath();
        assertEquals(stream, page.getString("events[0].stream"));
        assertEquals(1, page.getInt("events[0].version"), "the first event at or after the time, any stream");
        long p1 = page.getLong("events[0].position");
        try (SseClient c = SseClient.open(base.toString().replaceAll("/$", "") + "/all?fromTime=" + q(at[1]))) {
            assertEquals(Long.toString(p1), c.take(1, 10).get(0).id());
        }
        JsonPath future = raw().get("/all?fromTime=" + q(at[2].plusSeconds(3600))).then().statusCode(200).extract().jsonPath();
        assertEquals(0, future.getList("events").size());
        raw().get("/all?from=0&fromTime=" + q(at[1])).then().statusCode(400);
    }
}
