package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

/**
 * The replication read options on a single node: {@code Strand-Min-Position}/{@code minPosition}
 * serves once the position is applied and answers 503 (with Retry-After) after the read wait when it
 * is not; {@code Consistency: linearizable} is honoured as it is (a single node is linearizable); bad
 * values are 400 problems; {@code GET /cluster} says replication is off. (The three-node behaviour:
 * ReplicationTest and ClusterIT.)
 */
@QuarkusTest
class ReadGateApiTest {
    private static long append(String stream) {
        return given().contentType("application/json")
                .body("{\"type\":\"t\",\"data\":{\"k\":1}}")
                .post("/streams/" + stream).then().statusCode(201).extract().jsonPath().getLong("position");
    }

    @Test
    void aReadAtAnAppliedPositionIsServedAtOnce() {
        String s = "gate-" + UUID.randomUUID();
        long position = append(s);
        given().header("Strand-Min-Position", position).get("/streams/" + s)
                .then().statusCode(200).body("events[0].position", equalTo((int) position));
        given().queryParam("minPosition", position).get("/all?from=" + position)
                .then().statusCode(200).body("events[0].stream", equalTo(s));
        given().header("Consistency", "linearizable").get("/streams/" + s + "/0").then().statusCode(200);
        given().queryParam("consistency", "linearizable").get("/streams").then().statusCode(200);
    }

    @Test
    void aPositionNotAppliedWithinTheReadWaitIs503WithRetryAfter() {
        given().header("Strand-Min-Position", Long.MAX_VALUE - 1).get("/streams")
                .then().statusCode(503).contentType("application/problem+json")
                .header("Retry-After", notNullValue())
                .body("detail", containsString("strand.cluster.read-wait"));
    }

    @Test
    void aPositionAppliedWhileTheReadWaitsIsServed() throws Exception {
        String s = "gate-late-" + UUID.randomUUID();
        long position = append(s);
        long next = position + 256; // beyond the tail now: the next two appends reach it
        java.util.concurrent.CompletableFuture<Integer> read = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                given().header("Strand-Min-Position", next).get("/streams/" + s).statusCode());
        Thread.sleep(300); // the read is waiting now
        append(s);
        append(s);
        append(s);
        org.junit.jupiter.api.Assertions.assertEquals(200, read.get(10, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    void badValuesAreProblems() {
        given().header("Strand-Min-Position", "-3").get("/streams").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("Strand-Min-Position"));
        given().queryParam("minPosition", "x").get("/all").then().statusCode(400);
        given().header("Consistency", "eventual").get("/streams").then().statusCode(400)
                .body("detail", containsString("linearizable"));
    }

    @Test
    void clusterSaysReplicationIsOff() {
        given().get("/cluster").then().statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("urn:strand:problem:cluster-disabled"));
        given().post("/cluster").then().statusCode(405).header("Allow", equalTo("GET, HEAD"));
    }
}
