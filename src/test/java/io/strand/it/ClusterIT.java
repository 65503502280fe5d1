package io.strand.it;

import io.strand.it.ClusterNodes.Event;
import io.strand.it.ClusterNodes.LogDigest;
import io.strand.it.ClusterNodes.Node;
import io.strand.store.history.LinearizabilityChecker;
import io.strand.store.history.LinearizabilityChecker.Bounds;
import io.strand.store.history.LinearizabilityChecker.Result;
import io.strand.store.history.LinearizabilityChecker.Verdict;
import io.strand.store.history.Operation;
import io.strand.store.history.StreamModel;
import io.strand.store.history.StreamModel.Input;
import io.strand.store.history.StreamModel.Output;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Replication through Apache Ratis (DESIGN.md, "Cluster"), end to end: three packaged servers as
 * child processes on 127.0.0.1 ({@link ClusterNodes}), killed with SIGKILL, paused with SIGSTOP and
 * restarted on their data directories. Each scenario starts its own cluster (tuned to fail over fast)
 * and kills it at the end, also on failure; node logs are in {@code target/cluster-it/<scenario>/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(1);
    static final Duration APPEND_TIMEOUT = Duration.ofSeconds(3);
    static final Duration READ_WAIT = Duration.ofSeconds(5);
    /** A request's own bound: the server's append timeout and some. */
    static final Duration REQUEST_TIMEOUT = APPEND_TIMEOUT.plusSeconds(2);
    static final Duration FAILOVER_BOUND = Duration.ofSeconds(15);

    static String[] tuned(String... more) {
        return Stream.concat(Stream.of(
                "strand.cluster.election-timeout=" + ELECTION_TIMEOUT.toMillis() + "ms",
                "strand.http.append-timeout=" + APPEND_TIMEOUT.toMillis() + "ms",
                "strand.cluster.read-wait=" + READ_WAIT.toMillis() + "ms"), Stream.of(more)).toArray(String[]::new);
    }

    @AfterAll
    static void killEveryNode() {
        ClusterNodes.killAll();
    }

    private long began;

    @BeforeEach
    void begin(TestInfo test) {
        began = System.nanoTime();
        System.out.printf("ClusterIT %s: begins (%s)%n", test.getTestMethod().map(m -> m.getName()).orElse("?"),
                ClusterNodes.load());
    }

    @AfterEach
    void end(TestInfo test) {
        System.out.printf("ClusterIT %s: ended after %d s (%s)%n", test.getTestMethod().map(m -> m.getName()).orElse("?"),
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began), ClusterNodes.load());
    }

    private static String event(String id, String type, JsonObject data) {
        return new JsonObject().put("id", id).put("type", type).put("data", data).encode();
    }

    // ---------------------------------------------------------------------------------------------
    // 1. Replication

    @Test
    @Order(1)
    void shouldReplicateAppendsThroughAnyNodeToEveryNode(@TempDir Path dir) throws Exception {
        try (ClusterNodes c = new ClusterNodes(dir, "replication", tuned())) {
            long t0 = System.nanoTime();
            c.startAll();
            System.out.printf("ClusterIT replication: 3 nodes up with a leader in %d ms%n", ms(System.nanoTime() - t0));
            checkClusterStates(c);

            List<String> ids = new ArrayList<>();
            long lastPosition = -1;
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 3; i++) {
                    Node n = c.nodes.get(i);
                    Node other = c.nodes.get((i + 1) % 3);
                    String id = UUID.randomUUID().toString();
                    String stream = "rep-" + (round % 2);
                    JsonObject o = appendRetrying(c, n, stream,
                            event(id, "Single", new JsonObject().put("round", round).put("via", n.id)), Duration.ofSeconds(30), "");
                    ids.add(id);
                    long position = o.getLong("position");
                    assertTrue(position > lastPosition, o::encode);
                    lastPosition = position;
                    // Read your write on another node: Strand-Min-Position waits until that node applied it.
                    HttpResponse<String> seen = other.get("/streams/" + stream + "/" + o.getLong("firstVersion"),
                            REQUEST_TIMEOUT, "Strand-Min-Position", Long.toString(position));
                    assertEquals(200, seen.statusCode(), () -> other.id + " after " + o.encode() + ": " + seen.body());
                    assertEquals(id, new JsonObject(seen.body()).getString("id"));

                    // An atomic batch of 3 through the same node.
                    JsonArray batch = new JsonArray();
                    for (int k = 0; k < 3; k++) {
                        String bid = UUID.randomUUID().toString();
                        ids.add(bid);
                        batch.add(new JsonObject().put("id", bid).put("type", "Batch").put("data", new JsonObject().put("k", k)));
                    }
                    JsonObject b = appendRetrying(c, n, "rep-batch", batch.encode(), Duration.ofSeconds(30), "");
                    assertEquals(b.getLong("firstVersion") + 2, b.getLong("lastVersion"), b::encode);
                    assertTrue(b.getLong("position") > lastPosition, b::encode);
                    lastPosition = b.getLong("position");
                }
            }
            // Every node serves the last append once it waited for its position (header and query forms).
            long last = lastPosition;
            for (Node n : c.nodes) {
                HttpResponse<String> h = n.get("/all?limit=1000", REQUEST_TIMEOUT, "Strand-Min-Position", Long.toString(last));
                assertEquals(200, h.statusCode(), () -> n.id + ": " + h.body());
                assertTrue(positions(h.body()).contains(last), () -> n.id + " /all misses position " + last + ": " + h.body());
                HttpResponse<String> q = n.get("/all?limit=1000&minPosition=" + last, REQUEST_TIMEOUT);
                assertEquals(200, q.statusCode(), () -> n.id + ": " + q.body());
                assertTrue(positions(q.body()).contains(last), () -> n.id + " /all misses position " + last);
            }
            // A position no node will reach in time: 503 after about the read wait.
            long far = last + (1L << 40);
            long t = System.nanoTime();
            HttpResponse<String> waited = c.nodes.get(1).get("/all", READ_WAIT.plusSeconds(10),
                    "Strand-Min-Position", Long.toString(far));
            long waitedMs = ms(System.nanoTime() - t);
            assertEquals(503, waited.statusCode(), waited::body);
            assertTrue(waitedMs >= READ_WAIT.toMillis() - 200 && waitedMs < READ_WAIT.toMillis() + 3000,
                    "answered after " + waitedMs + " ms; read-wait is " + READ_WAIT);

            // Exactly once: re-sending an acknowledged event through another node returns its original outcome.
            String firstId = ids.get(0);
            JsonObject again = appendRetrying(c, c.nodes.get(2), "rep-0",
                    event(firstId, "Single", new JsonObject().put("round", 0).put("via", "n1")), Duration.ofSeconds(30), "");
            assertEquals(0L, again.getLong("firstVersion"), again::encode);
            c.awaitConvergence(Duration.ofSeconds(30));

            List<Event> all = c.readAll(c.nodes.get(0));
            assertEquals(ids.size(), all.size(), "events in /all");
            assertEquals(ids, all.stream().map(Event::id).toList(), "every event once, in the order acknowledged");
            assertEquals(all.get(0).position(), again.getLong("position"), "the re-send names the original position");
            assertIdentical(c);

            // A soft delete through one node hides the stream on the other two (a Raft command of its own).
            Node deleter = c.nodes.get(1);
            HttpResponse<String> deleted = ClusterNodes.HTTP.send(deleter.request("/streams/rep-1", REQUEST_TIMEOUT)
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, deleted.statusCode(), deleted::body);
            for (Node n : c.nodes) {
                c.awaitStatus(n, "/streams/rep-1", 404, Duration.ofSeconds(10)); // applied there
                HttpResponse<String> r = n.get("/streams/rep-1", REQUEST_TIMEOUT);
                assertEquals(404, r.statusCode(), () -> n.id + ": " + r.body());
                assertEquals("urn:strand:problem:stream-deleted", new JsonObject(r.body()).getString("type"),
                        () -> n.id + ": " + r.body());
                assertEquals(200, n.get("/streams/rep-0", REQUEST_TIMEOUT).statusCode(), n.id + " still serves rep-0");
            }
        }
    }

    private static void checkClusterStates(ClusterNodes c) throws Exception {
        Node leader = c.leader(Duration.ofSeconds(30));
        for (Node n : c.nodes) {
            JsonObject s = n.state();
            assertNotNull(s, n.id);
            assertEquals(n.id, s.getString("nodeId"), s::encode);
            assertEquals(n == leader ? "leader" : "follower", s.getString("role"), s::encode);
            assertEquals(leader.id, s.getString("leader"), s::encode);
            for (String k : List.of("term", "commitIndex", "appliedIndex", "appliedPosition")) {
                assertNotNull(s.getLong(k), () -> k + " in " + s.encode());
            }
            JsonArray peers = s.getJsonArray("peers");
            assertEquals(3, peers.size(), s::encode);
            for (int i = 0; i < 3; i++) {
                JsonObject p = peers.getJsonObject(i);
                Node peer = c.node(p.getString("id"));
                assertEquals("127.0.0.1:" + peer.raftPort, p.getString("raftAddress"), s::encode);
                assertEquals("127.0.0.1:" + peer.httpPort, p.getString("httpAddress"), s::encode);
            }
        }
    }

    private static Set<Long> positions(String allPage) {
        Set<Long> out = new HashSet<>();
        JsonArray events = new JsonObject(allPage).getJsonArray("events");
        for (int i = 0; i < events.size(); i++) {
            out.add(events.getJsonObject(i).getLong("position"));
        }
        return out;
    }

    /** The same {@code /all} and the same raw log bytes on the three nodes (call after convergence). */
    private static List<Event> assertIdentical(ClusterNodes c) throws Exception {
        List<Event> first = c.readAll(c.nodes.get(0));
        for (Node n : c.nodes.subList(1, 3)) {
            List<Event> other = c.readAll(n);
            assertEquals(first.size(), other.size(), () -> "events in /all on n1 and " + n.id);
            for (int i = 0; i < first.size(); i++) {
                int k = i;
                assertEquals(first.get(i), other.get(i), () -> "/all on n1 and " + n.id + " differ at event " + k);
            }
        }
        assertSameLogs(c, c.nodes.get(0), first);
        return first;
    }

    /** The raw {@code /log} bytes of every node are those of {@code reference}; {@code all} (if known) names the record where they differ. */
    private static LogDigest assertSameLogs(ClusterNodes c, Node reference, List<Event> all) throws Exception {
        LogDigest d = c.logDigest(reference);
        for (Node n : c.nodes) {
            if (n == reference) {
                continue;
            }
            LogDigest other = c.logDigest(n);
            if (!d.equals(other)) {
                long at = c.firstDifference(reference, n);
                Event record = null;
                if (all != null) {
                    for (Event e : all) {
                        if (e.position() <= at) {
                            record = e;
                        }
                    }
                }
                fail("raw /log of " + reference.id + " " + d + " and " + n.id + " " + other + " first differ at log position "
                        + at + (record == null ? "" : ", byte " + (at - record.position()) + " of the record of " + record));
            }
        }
        return d;
    }

    // ---------------------------------------------------------------------------------------------
    // 2. Failover under load

    @Test
    @Order(2)
    void shouldKeepEveryAcknowledgedEventExactlyOnceAcrossLeaderKillAndPause(@TempDir Path dir) throws Exception {
        try (ClusterNodes c = new ClusterNodes(dir, "failover", tuned())) {
            c.startAll();
            ClusterWriters w = new ClusterWriters(c.nodes, 8, 4, "fo-", REQUEST_TIMEOUT,
                    () -> ThreadLocalRandom.current().nextInt(5) == 0 ? 3 : 1);
            w.start();
            try {
                awaitBatches(w, 100, Duration.ofSeconds(60)); // warmed up (the first appends of fresh JVMs are slow)
                Thread.sleep(1000);

                // SIGKILL the leader.
                Node killed = c.leader(Duration.ofSeconds(10));
                long killAt = System.nanoTime();
                c.kill(killed);
                Node next = c.leader(FAILOVER_BOUND);
                long elected = System.nanoTime();
                long acked = w.awaitAckSentAfter(killAt, FAILOVER_BOUND);
                assertNotEquals(killed, next);
                assertTrue(acked > 0, () -> "no append acknowledged within " + FAILOVER_BOUND + " of killing leader "
                        + killed.id + ": " + w.stats() + "\n" + c.logs());
                long killFailoverMs = ms(acked - killAt);
                System.out.printf("ClusterIT failover: SIGKILL of leader %s -> new leader %s seen after %d ms, "
                        + "first append acknowledged after %d ms%n", killed.id, next.id, ms(elected - killAt), killFailoverMs);
                assertTrue(killFailoverMs < FAILOVER_BOUND.toMillis(), "failover took " + killFailoverMs + " ms");

                Thread.sleep(2000);
                long restartAt = System.nanoTime();
                c.start(killed); // same data directory, same ports
                System.out.printf("ClusterIT failover: %s restarted, answering after %d ms%n", killed.id,
                        ms(System.nanoTime() - restartAt));
                // The pause below tests a leader lost with two healthy members left: the restarted one
                // must have caught up first, or the new leader could not commit before it does.
                long caughtUp = awaitCaughtUp(c, killed, Duration.ofSeconds(90));
                System.out.printf("ClusterIT failover: %s caught up %d ms after its restart%n", killed.id,
                        ms(caughtUp - restartAt));
                Thread.sleep(1000);

                // SIGSTOP the (new) leader for three election timeouts, then SIGCONT.
                Node paused = c.leader(Duration.ofSeconds(10));
                c.pause(paused);
                long pauseAt = System.nanoTime(); // once kill -STOP returned: the signal was sent
                Node replacement;
                try {
                    replacement = c.leader(FAILOVER_BOUND);
                    long replacedAt = System.nanoTime();
                    long pauseAcked = w.awaitAckSentAfter(pauseAt, FAILOVER_BOUND);
                    assertTrue(pauseAcked > 0, () -> "no append acknowledged within " + FAILOVER_BOUND + " of pausing leader "
                            + paused.id + ": " + w.stats() + "\n" + c.logs());
                    long pauseFailoverMs = ms(pauseAcked - pauseAt);
                    System.out.printf("ClusterIT failover: SIGSTOP of leader %s -> new leader %s seen after %d ms, "
                            + "first append acknowledged after %d ms%n", paused.id, replacement.id,
                            ms(replacedAt - pauseAt), pauseFailoverMs);
                    assertTrue(pauseFailoverMs < FAILOVER_BOUND.toMillis(), "failover took " + pauseFailoverMs + " ms");
                    long until = pauseAt + 3 * ELECTION_TIMEOUT.toNanos();
                    while (System.nanoTime() < until) {
                        Thread.sleep(50);
                    }
                } finally {
                    c.resume(paused);
                }
                System.out.printf("ClusterIT failover: %s resumed after %d ms paused%n", paused.id, ms(System.nanoTime() - pauseAt));
                Thread.sleep(3000);
            } finally {
                w.stop();
            }
            System.out.println("ClusterIT failover: " + w.stats());
            assertTrue(w.errors.isEmpty(), () -> "writers: " + w.errors + "\n" + c.logs());
            everyNodeTakesAnAppend(c, "fo-after").forEach((id, o) -> {
                w.sent.add(id);
                w.acked.put(id, new ClusterWriters.Acked(o.getString("stream"), o.getLong("firstVersion"), o.getLong("position")));
            });

            long position = c.awaitConvergence(Duration.ofSeconds(60));
            List<Event> all = assertIdentical(c);
            System.out.printf("ClusterIT failover: converged at position %d, %d events, identical on 3 nodes%n",
                    position, all.size());
            assertEventsOnce(all, w);
        }
    }

    /** Waits until {@code n} applied what the leader had committed when this began; returns when (nanoTime). */
    private static long awaitCaughtUp(ClusterNodes c, Node n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonObject l = c.leader(timeout).state();
        long target = l == null ? 0 : l.getLong("commitIndex");
        JsonObject s = null;
        while (System.nanoTime() < deadline) {
            s = n.state();
            if (s != null && s.getLong("appliedIndex") >= target) {
                return System.nanoTime();
            }
            Thread.sleep(100);
        }
        JsonObject last = s;
        return fail(n.id + " did not apply the leader's commit index " + target + " within " + timeout + ": " + last
                + "\n" + c.logs());
    }

    private static void awaitBatches(ClusterWriters w, int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (w.batches.get() < n && System.nanoTime() < deadline && w.errors.isEmpty()) {
            Thread.sleep(50);
        }
        assertTrue(w.batches.get() >= n, () -> "load is running: " + w.stats() + " " + w.errors);
    }

    /**
     * After the faults, with the three nodes up: each node takes an append (any node accepts
     * appends), re-sent on a 503 or an I/O error for up to 30 s. Returns each event's id and 201 body.
     */
    private static Map<String, JsonObject> everyNodeTakesAnAppend(ClusterNodes c, String stream) throws Exception {
        Map<String, JsonObject> out = new java.util.LinkedHashMap<>();
        for (Node n : c.nodes) {
            String id = UUID.randomUUID().toString();
            out.put(id, appendRetrying(c, n, stream, event(id, "After", new JsonObject().put("via", n.id)),
                    Duration.ofSeconds(30), "after the faults, with the three nodes up"));
        }
        return out;
    }

    /**
     * Appends {@code body} through {@code n}, re-sent (same ids) on a 503 or an I/O error within
     * {@code within}, as a client does when an outcome is unknown; the 201's body. (On a loaded
     * machine an append may take longer than the append timeout and get a 503.)
     */
    private static JsonObject appendRetrying(ClusterNodes c, Node n, String stream, String body, Duration within, String when)
            throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = n.postJson("/streams/" + stream, body, REQUEST_TIMEOUT);
                if (r.statusCode() == 201) {
                    return new JsonObject(r.body());
                } else if (r.statusCode() == 503) {
                    last = r.body();
                    Thread.sleep(200);
                } else {
                    fail(n.id + " answered " + r.statusCode() + " " + r.body());
                }
            } catch (IOException e) {
                last = e.toString();
                Thread.sleep(200);
            }
        }
        throw new AssertionError(n.id + " took no append within " + within + " " + when + "; last answer: " + last + "\n"
                + c.logs());
    }

    /** Each acknowledged event exactly once where it was acknowledged; no duplicate; nothing never sent; versions contiguous. */
    private static void assertEventsOnce(List<Event> all, ClusterWriters w) {
        Map<String, Event> byId = new HashMap<>();
        Map<String, Long> nextVersion = new HashMap<>();
        long lastPosition = -1;
        for (Event e : all) {
            Event before = byId.put(e.id(), e);
            if (before != null) {
                fail("event " + e.id() + " is in /all twice: " + before + " and " + e);
            }
            assertTrue(w.sent.contains(e.id()), () -> "an event no writer sent: " + e);
            long expected = nextVersion.getOrDefault(e.stream(), 0L);
            assertEquals(expected, e.version(), () -> "versions of " + e.stream() + " not contiguous at " + e);
            nextVersion.put(e.stream(), expected + 1);
            assertTrue(e.position() > lastPosition, () -> "positions not increasing at " + e);
            lastPosition = e.position();
        }
        int missing = 0;
        StringBuilder why = new StringBuilder();
        for (var a : w.acked.entrySet()) {
            Event e = byId.get(a.getKey());
            if (e == null || !e.stream().equals(a.getValue().stream()) || e.version() != a.getValue().version()) {
                if (missing++ < 10) {
                    why.append("\n  acknowledged ").append(a.getKey()).append(" as ").append(a.getValue())
                            .append(", /all has ").append(e);
                }
            }
        }
        int m = missing;
        assertEquals(0, m, () -> m + " acknowledged events missing or elsewhere:" + why);
        long unacknowledgedPresent = all.stream().filter(e -> !w.acked.containsKey(e.id())).count();
        System.out.printf("ClusterIT: %d acknowledged events all present once; %d events present whose outcome the "
                + "writer never learned (given up: %d)%n", w.acked.size(), unacknowledgedPresent, w.gaveUp.size());
    }

    // ---------------------------------------------------------------------------------------------
    // 3. Linearizability across a leader kill

    @Test
    @Order(3)
    void shouldAnswerExpectedVersionAppendsAndLinearizableReadsLinearizablyAcrossALeaderKill(@TempDir Path dir)
            throws Exception {
        try (ClusterNodes c = new ClusterNodes(dir, "linearizability", tuned())) {
            c.startAll();
            ClusterHistory h = new ClusterHistory(c.nodes, 6, REQUEST_TIMEOUT);
            List<Operation<Input, Output>> history;
            h.phase = "before the kill";
            h.start();
            try {
                // Phases bounded by operations and by time (a slow machine gets a shorter history).
                h.awaitMore(120, Duration.ofSeconds(30));
                int before = h.operations.get();
                assertTrue(before >= 30, () -> "before the kill: " + h.stats() + " " + h.errors);
                Node killed = c.leader(Duration.ofSeconds(10));
                h.phase = "after killing leader " + killed.id;
                c.kill(killed);
                Node next = c.leader(FAILOVER_BOUND);
                h.phase = "leader " + next.id + " elected";
                h.awaitMore(150, Duration.ofSeconds(40));
                assertTrue(h.operations.get() - before >= 30, () -> "after the kill: " + h.stats() + " " + h.errors);
                h.phase = "restarting " + killed.id;
                c.start(killed);
                h.phase = killed.id + " restarted";
                h.awaitMore(100, Duration.ofSeconds(30));
            } finally {
                history = h.stop();
            }
            System.out.println("ClusterIT linearizability: " + h.stats());
            assertTrue(h.errors.isEmpty(), () -> h.errors + "\n" + c.logs());
            long t = System.nanoTime();
            Result result = LinearizabilityChecker.check(new StreamModel(), history,
                    new Bounds(10_000, 50_000_000L, Duration.ofSeconds(60)));
            System.out.printf("ClusterIT linearizability: %d operations checked in %d ms: %s%n", history.size(),
                    ms(System.nanoTime() - t), result.verdict());
            if (result.verdict() != Verdict.LINEARIZABLE) {
                fail("history of " + history.size() + " operations: " + result.verdict() + "\n" + result.explanation()
                        + "\n" + c.logs());
            }
            assertTrue(h.oks.get() > 0 && h.conflicts.get() > 0 && h.readEvents.get() > 0, h::stats);
            assertTrue(h.unknownAppends.get() <= 6, () -> "too many appends with an unknown outcome: " + h.stats());
            everyNodeTakesAnAppend(c, "lin-after");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 4. Minority

    @Test
    @Order(4)
    void shouldRefuseAppendsButServeReadsWithoutAMajorityAndRecover(@TempDir Path dir) throws Exception {
        Duration appendTimeout = Duration.ofSeconds(2);
        try (ClusterNodes c = new ClusterNodes(dir, "minority", tuned("strand.http.append-timeout=2s"))) {
            c.startAll();
            Node leader = c.leader(Duration.ofSeconds(10));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = UUID.randomUUID().toString();
                appendRetrying(c, leader, "mi-a", event(id, "Before", new JsonObject().put("i", i)), Duration.ofSeconds(30),
                        "before the faults (a loaded machine may need a re-send within the 2 s append timeout)");
                ids.add(id);
            }
            c.awaitConvergence(Duration.ofSeconds(30));
            List<Event> before = c.readAll(leader);

            List<Node> others = c.nodes.stream().filter(n -> n != leader).toList();
            for (Node n : others) {
                c.kill(n);
            }
            // Appends: 503 with Retry-After within the append timeout.
            String lostId = UUID.randomUUID().toString();
            String lost = event(lostId, "During", new JsonObject());
            for (int attempt = 0; attempt < 2; attempt++) {
                long t = System.nanoTime();
                HttpResponse<String> r = leader.postJson("/streams/mi-a", lost, appendTimeout.plusSeconds(10));
                long took = ms(System.nanoTime() - t);
                System.out.printf("ClusterIT minority: append %d answered %d after %d ms%n", attempt, r.statusCode(), took);
                assertEquals(503, r.statusCode(), r::body);
                assertTrue(r.headers().firstValue("Retry-After").isPresent(), "Retry-After");
                assertTrue(took <= appendTimeout.toMillis() + 1500, "answered after " + took + " ms; append-timeout is "
                        + appendTimeout);
            }
            // Plain reads still serve what the node has.
            HttpResponse<String> stream = leader.get("/streams/mi-a?limit=1000", REQUEST_TIMEOUT);
            assertEquals(200, stream.statusCode(), stream::body);
            JsonArray events = new JsonObject(stream.body()).getJsonArray("events");
            List<String> read = new ArrayList<>();
            for (int i = 0; i < events.size(); i++) {
                read.add(events.getJsonObject(i).getString("id"));
            }
            assertEquals(ids, read);
            assertEquals(before, c.readAll(leader));
            // Not ready; a linearizable read is refused too.
            c.awaitStatus(leader, "/q/health/ready", 503, Duration.ofSeconds(20));
            HttpResponse<String> lin = leader.get("/streams/mi-a", Duration.ofSeconds(30), "Consistency", "linearizable");
            assertEquals(503, lin.statusCode(), lin::body);
            assertEquals(200, leader.get("/streams/mi-a", REQUEST_TIMEOUT).statusCode(), "plain reads still work");

            // The two come back: the cluster takes the same event again (exactly once).
            long back = System.nanoTime();
            for (Node n : others) {
                c.start(n);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            HttpResponse<String> r = null;
            while (System.nanoTime() < deadline) {
                try {
                    r = leader.postJson("/streams/mi-a", lost, REQUEST_TIMEOUT);
                    if (r.statusCode() == 201) {
                        break;
                    }
                } catch (IOException e) {
                    // retry
                }
                Thread.sleep(100);
            }
            assertNotNull(r, "no answer after the restart\n" + c.logs());
            HttpResponse<String> last = r;
            assertEquals(201, r.statusCode(), () -> last.body() + "\n" + c.logs());
            System.out.printf("ClusterIT minority: appends succeed again %d ms after restarting the two%n",
                    ms(System.nanoTime() - back));
            for (Node n : c.nodes) {
                c.awaitStatus(n, "/q/health/ready", 200, Duration.ofSeconds(30));
            }
            c.awaitConvergence(Duration.ofSeconds(30));
            List<Event> after = assertIdentical(c);
            assertEquals(before, after.subList(0, before.size()));
            assertEquals(1, after.stream().filter(e -> e.id().equals(lostId)).count(), "the re-sent event, once");
            assertEquals(before.size() + 1, after.size());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 5. Catch-up

    @Test
    @Order(5)
    void shouldCatchUpAFollowerThatMissed200MegabytesFromTheLog(@TempDir Path dir) throws Exception {
        try (ClusterNodes c = new ClusterNodes(dir, "catch-up", tuned())) {
            catchUp(c, 200L << 20, 100, false);
        }
    }

    /**
     * The variant where the follower must install a snapshot: the leader takes snapshots every 200
     * entries and purges its Raft log up to them (even though the stopped follower still needs it),
     * so the follower can only catch up by copying the leader's CommitLog (GET /log). It checks that
     * the leader did purge past the follower's index before restarting the follower.
     */
    @Test
    @Order(6)
    void shouldCatchUpAFollowerBehindThePurgedRaftLogThroughASnapshot(@TempDir Path dir) throws Exception {
        try (ClusterNodes c = new ClusterNodes(dir, "catch-up-snapshot", tuned("strand.cluster.snapshot-threshold=200",
                "strand.cluster.purge-up-to-snapshot=true", "strand.cluster.purge-gap=100"))) {
            // Entries of 20 events (~42 KB): 120 MB is ~3000 entries, and more than one Raft log
            // segment (64 MB at most), so that a closed segment can be purged.
            catchUp(c, 120L << 20, 20, true);
        }
    }

    /**
     * Kills a follower, writes {@code bytes} of request bodies through the leader (batches of
     * {@code batch} events of ~2 KiB), restarts the follower and waits until it applied as far as
     * the leader; then the raw logs are identical. Returns the follower's applied index when killed.
     */
    private static CatchUp catchUp(ClusterNodes c, long bytes, int batch, boolean mustPurge) throws Exception {
        c.startAll();
        Node leader = c.leader(Duration.ofSeconds(10));
        Node follower = c.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        appendRetrying(c, leader, "cu-first", event(UUID.randomUUID().toString(), "First", new JsonObject()),
                Duration.ofSeconds(30), "");
        c.awaitConvergence(Duration.ofSeconds(30));
        JsonObject atKill = follower.state();
        c.kill(follower);

        ClusterWriters w = new ClusterWriters(c.nodes, 4, 8, "cu-", Duration.ofSeconds(30), () -> batch)
                .padding(2000).budget(bytes)
                .through(random -> leader.answering() ? leader : c.nodes.get(random.nextInt(3)));
        long t = System.nanoTime();
        long startPosition = leader.state().getLong("appliedPosition");
        w.start();
        w.join(Duration.ofMinutes(3));
        long writeNanos = System.nanoTime() - t;
        assertTrue(w.errors.isEmpty(), () -> "writers: " + w.errors + "\n" + c.logs());
        assertEquals(0, w.gaveUp.size(), w::stats);
        JsonObject leaderState = leader.state();
        long written = leaderState.getLong("appliedPosition") - startPosition;
        System.out.printf("ClusterIT %s: wrote %d MB of log (%d events) through leader %s with 2 of 3 nodes up in %d ms: %.1f MB/s%n",
                c.name, written >> 20, w.acked.size(), leader.id, ms(writeNanos), mbPerSecond(written, writeNanos));

        if (mustPurge) {
            long behind = atKill.getLong("appliedIndex");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long first = firstRaftLogIndex(leader);
            while (first <= behind + 1 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                first = firstRaftLogIndex(leader);
            }
            long firstIndex = first;
            assertTrue(firstIndex > behind + 1, () -> "leader " + leader.id + " still holds Raft entries from " + firstIndex
                    + " (files under " + leader.dataDir.resolve("raft") + "); " + follower.id + " applied " + behind
                    + ": it could catch up from the Raft log, and this scenario would not need a snapshot");
            System.out.printf("ClusterIT %s: leader %s purged its Raft log up to %d; %s had applied %d%n", c.name,
                    leader.id, firstIndex, follower.id, behind);
        }
        long restart = System.nanoTime();
        c.start(follower);
        long answering = System.nanoTime();
        long target = leaderState.getLong("appliedPosition");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        JsonObject s = null;
        while (System.nanoTime() < deadline) {
            s = follower.state();
            if (s != null && s.getLong("appliedPosition") >= target) {
                break;
            }
            Thread.sleep(50);
        }
        long caughtUp = System.nanoTime();
        JsonObject last = s;
        assertTrue(last != null && last.getLong("appliedPosition") >= target,
                () -> follower.id + " did not catch up to " + target + " within 120 s: " + last + "\n" + c.logs());
        long behind = target - atKill.getLong("appliedPosition");
        System.out.printf("ClusterIT %s: %s caught up %d MB in %d ms from its restart (%d ms from answering): %.1f MB/s "
                        + "(%.1f MB/s without the start)%n", c.name, follower.id, behind >> 20, ms(caughtUp - restart),
                ms(caughtUp - answering), mbPerSecond(behind, caughtUp - restart), mbPerSecond(behind, caughtUp - answering));

        if (mustPurge) {
            follower.output().lines().filter(l -> l.contains("installed snapshot"))
                    .forEach(l -> System.out.printf("ClusterIT %s: %s says: %s%n", c.name, follower.id,
                            l.substring(Math.max(0, l.indexOf(") ") + 2))));
        }
        c.awaitConvergence(Duration.ofSeconds(60));
        long h = System.nanoTime();
        LogDigest d = assertSameLogs(c, leader, null);
        System.out.printf("ClusterIT %s: raw logs identical on 3 nodes (%d MB each, hashed in %d ms)%n", c.name,
                d.bytes() >> 20, ms(System.nanoTime() - h));
        return new CatchUp(leader, follower, atKill.getLong("appliedIndex"));
    }

    record CatchUp(Node leader, Node follower, long followerIndexAtKill) {
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    static double mbPerSecond(long bytes, long nanos) {
        return bytes / 1048576.0 / (nanos / 1e9);
    }

    /** The lowest Raft log index still in a node's Raft log files ({@code log_<first>-<last>}, {@code log_inprogress_<first>}). */
    static long firstRaftLogIndex(Node n) throws IOException {
        Pattern name = Pattern.compile("log_(?:inprogress_)?(\\d+)(?:-\\d+)?");
        long first = Long.MAX_VALUE;
        try (Stream<Path> files = Files.walk(n.dataDir.resolve("raft"))) {
            for (Path p : files.toList()) {
                Matcher m = name.matcher(p.getFileName().toString());
                if (m.matches()) {
                    first = Math.min(first, Long.parseLong(m.group(1)));
                }
            }
        }
        return first;
    }
}
