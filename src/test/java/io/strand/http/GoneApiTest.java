package io.strand.http;

import io.quarkus.test.junit.QuarkusTest;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** After retention, reads below the first retained position answer 410 Gone as a problem. */
@QuarkusTest
class GoneApiTest {
    @Inject
    EventStore store;

    @Test
    void shouldAnswer410BelowTheFirstRetainedPosition() throws Exception {
        String s = "gone-" + UUID.randomUUID();
        byte[] data = ("{\"pad\":\"" + "p".repeat(4000) + "\"}").getBytes();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int i = 0; i < 4000; i++) { // ~16 MB over the test profile's 4 MiB segments
            pending.add(store.append(s, List.of(new NewEvent(UUID.randomUUID(), "Big", data, null, false)),
                    ExpectedVersion.ANY, null).toCompletableFuture());
            if (pending.size() == 256) {
                pending.forEach(CompletableFuture::join);
                pending.clear();
            }
        }
        pending.forEach(CompletableFuture::join);
        long oldPosition = given().get("/streams/" + s + "/0").then().statusCode(200).extract().jsonPath().getLong("position");
        assertTrue(store.applyRetention(0, 4L << 20) > 0);
        long firstVersion = store.streamInfo(s).firstVersion();
        assertTrue(firstVersion > 0);
        given().get("/streams/" + s + "/0").then().statusCode(410)
                .contentType("application/problem+json").body("status", equalTo(410));
        given().get("/streams/" + s + "?from=0").then().statusCode(410);
        given().get("/streams/" + s).then().statusCode(200)
                .body("events[0].version", equalTo((int) firstVersion));
        if (oldPosition > 0) {
            given().get("/all?from=" + oldPosition).then().statusCode(410);
        }
        given().get("/all?limit=1").then().statusCode(200);
        long first = store.log().firstPosition();
        assertEquals(first, given().get("/all?from=" + (first - 8)).then().statusCode(410)
                .extract().jsonPath().getLong("first"));
        assertEquals(first, given().get("/log?from=" + (first - 8)).then().statusCode(410)
                .contentType("application/problem+json").extract().jsonPath().getLong("first"));
        given().get("/log?from=" + first + "&maxBytes=64").then().statusCode(200);
    }
}
