package io.strand.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code fromTime=} and filters on the packaged server, before and after a {@code kill -9}: 12,000
 * events of type Old, then 12,000 of type New (enough that the index's entries files hold most of
 * them on disk, so the start is found by the binary search over them, and after the restart over the
 * files as recovery left them). The first New event is the answer each time.
 */
class TimeAndFiltersIT {
    private static final int BATCHES = 12;

    private static long appendBatches(ServerProcess server, String stream, String type) throws Exception {
        long first = -1;
        for (int b = 0; b < BATCHES; b++) {
            StringBuilder batch = new StringBuilder("[");
            for (int i = 0; i < 1000; i++) {
                batch.append(i > 0 ? "," : "").append("{\"type\":\"").append(type).append("\",\"data\":{\"i\":").append(i).append("}}");
            }
            HttpResponse<String> r = server.postJson("/streams/" + stream, batch.append(']').toString());
            assertEquals(201, r.statusCode(), r.body());
            if (first < 0) {
                first = new JsonObject(r.body()).getLong("position");
            }
        }
        return first;
    }

    /** The first event of a page, as {stream, type, position}. */
    private static JsonObject first(ServerProcess server, String pathAndQuery) throws Exception {
        HttpResponse<String> r = server.get(pathAndQuery);
        assertEquals(200, r.statusCode(), pathAndQuery + ": " + r.body());
        JsonArray events = new JsonObject(r.body()).getJsonArray("events");
        return events.isEmpty() ? null : events.getJsonObject(0);
    }

    private static void assertStartsAtTheFirstNewEvent(ServerProcess server, String from, long position) throws Exception {
        JsonObject all = first(server, "/all?limit=5&fromTime=" + from);
        assertEquals(position, all.getLong("position"), "$all from the time: " + all);
        assertEquals("New", all.getString("type"));
        JsonObject stream = first(server, "/streams/time-it?limit=5&fromTime=" + from);
        assertEquals(BATCHES * 1000L, stream.getLong("version"), "the stream from the time: " + stream);
        // by the filter: the 12,000 Old records take more than one page's scan, so follow next
        JsonObject filtered = null;
        String query = "/all?limit=5&type=New&streamPrefix=time-";
        for (int pages = 0; filtered == null && pages < 10; pages++) {
            HttpResponse<String> r = server.get(query);
            assertEquals(200, r.statusCode(), r.body());
            JsonObject page = new JsonObject(r.body());
            filtered = page.getJsonArray("events").isEmpty() ? null : page.getJsonArray("events").getJsonObject(0);
            query = "/all?limit=5&type=New&streamPrefix=time-&from=" + page.getLong("next");
        }
        assertEquals(position, filtered.getLong("position"), "the first New event by the filter: " + filtered);
    }

    @Test
    void shouldStartAtATimeBeforeAndAfterAKill(@TempDir Path dir) throws Exception {
        String from;
        long firstNew;
        try (ServerProcess server = ServerProcess.start(dir)) {
            server.awaitStatus("/q/health/ready", 200, 60);
            appendBatches(server, "time-it", "Old");
            Thread.sleep(50); // the New events start in a later millisecond
            firstNew = appendBatches(server, "time-it", "New");
            HttpResponse<String> event = server.get("/streams/time-it/" + BATCHES * 1000);
            from = URLEncoder.encode(new JsonObject(event.body()).getString("timestamp"), StandardCharsets.UTF_8);
            Thread.sleep(2000); // the indexer writes its entries out (at its checkpoint)
            assertStartsAtTheFirstNewEvent(server, from, firstNew);
            server.kill();
        }
        try (ServerProcess again = ServerProcess.start(dir)) {
            again.awaitStatus("/q/health/ready", 200, 60);
            assertStartsAtTheFirstNewEvent(again, from, firstNew);
        }
    }
}
