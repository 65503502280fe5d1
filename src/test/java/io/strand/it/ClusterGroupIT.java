package io.strand.it;

import io.strand.it.ClusterNodes.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.strand.it.ClusterIT.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shared group across a {@code kill -9} of the Raft leader (groups run there; the other nodes
 * forward {@code /groups/**}): three consumers, each attached through a different node, ack what
 * they are given through random nodes; once a third of 3,000 events is acked the leader is killed,
 * the consumers reconnect through the survivors and work on until every event is settled. Nothing
 * acked (204) may be delivered again; everything else must be. Node logs: target/cluster-it/groups/.
 */
class ClusterGroupIT {
    private static final int EVENTS = 3000;
    private static final String GROUP = "/groups/g";
    private static final Duration REQUEST = Duration.ofSeconds(5);

    /** The events' ids (filled before the consumers start). */
    private final Set<String> ids = new LinkedHashSet<>();
    /** Event id -> System.nanoTime() once the first 204 to an ack of it came back. */
    private final Map<String, Long> ackedAt = new ConcurrentHashMap<>();
    /** In an ack of unknown outcome (the reply was lost, or the forward to a dying leader failed): maybe settled, no 204. */
    private final Set<String> ambiguous = ConcurrentHashMap.newKeySet();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    /** What happened to each event (deliveries, ack answers): for a failure's message. */
    private final Map<String, List<String>> trace = new ConcurrentHashMap<>();
    private final AtomicInteger deliveries = new AtomicInteger();
    private final AtomicInteger deliveriesAfterKill = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger forwarded = new AtomicInteger();
    private final AtomicInteger failedAcks = new AtomicInteger();
    private final AtomicInteger ackedTwice = new AtomicInteger();
    private final AtomicLong firstDeliveryAfterKill = new AtomicLong();
    private final CountDownLatch thirdAcked = new CountDownLatch(1);
    private final long t0 = System.nanoTime();
    private volatile long killAt;
    private volatile Node killed;
    private volatile boolean stopping;
    private volatile String lastStatus;
    private ClusterNodes cluster;

    @AfterAll
    static void killEveryNode() {
        ClusterNodes.killAll();
    }

    @Test
    void ackedEventsAreNotDeliveredAgainAfterTheLeaderIsKilledAndTheOthersAre(@TempDir Path dir) throws Exception {
        System.out.println("ClusterGroupIT: begins (" + ClusterNodes.load() + ")");
        // SSE heartbeats every second: a consumer's connection silent for 5 s is dead (the consumers' watchdog).
        try (ClusterNodes c = new ClusterNodes(dir, "groups", ClusterIT.tuned("strand.sse.heartbeat=1s"))) {
            cluster = c;
            c.startAll();
            Node leader = c.leader(Duration.ofSeconds(30));
            for (int b = 0; b < EVENTS / 500; b++) {
                append(c.nodes.get(b % 3), b * 500);
            }
            Node follower = c.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
            HttpResponse<String> created = retry503(() -> ClusterNodes.HTTP.send(follower.request(GROUP, REQUEST)
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"stream\":\"orders\",\"ackTimeout\":10}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
            assertEquals(201, created.statusCode(), created::body);
            List<Consumer> consumers = c.nodes.stream().map(Consumer::new).toList(); // two go through a forwarding node
            consumers.forEach(k -> k.thread.start());
            // Killed as soon as a 204 makes it a third: the followers learn that the last acks committed only later.
            Node old = c.leader(Duration.ofSeconds(5));
            await(() -> thirdAcked.await(100, TimeUnit.MILLISECONDS), Duration.ofSeconds(40), "a third acked");
            killAt = System.nanoTime();
            killed = old; // after killAt: whoever sees killed sees killAt
            c.kill(old);
            int ackedBeforeKill = ackedAt.size();
            Node next = c.leader(Duration.ofSeconds(15));
            long elected = System.nanoTime();
            assertNotEquals(old, next);
            // Done when each event got a 204 or was in an ack of unknown outcome, and the group says all is settled.
            List<Node> survivors = c.nodes.stream().filter(n -> n != old).toList();
            await(() -> settled(survivors.get(0)), Duration.ofSeconds(60), "every event acked");
            long done = System.nanoTime();
            long failover = firstDeliveryAfterKill.get();
            List<String> never = ids.stream().filter(id -> !ackedAt.containsKey(id)).toList();
            System.out.printf("ClusterGroupIT: killed leader %s with %d of %d acked; %s elected after %d ms; group failover"
                            + " (SIGKILL to the first delivery on a reconnected consumer) %d ms; all settled %d ms after the kill%n",
                    old.id, ackedBeforeKill, EVENTS, next.id, ms(elected - killAt), failover == 0 ? -1 : ms(failover - killAt),
                    ms(done - killAt));
            System.out.printf("ClusterGroupIT: %d deliveries (%d on connections opened after the kill) on %d connections (%d"
                            + " through a forwarding node); %d acks failed; %d ids in acks of unknown outcome, %d of them never"
                            + " got a 204%n", deliveries.get(), deliveriesAfterKill.get(), connections.get(), forwarded.get(),
                    failedAcks.get(), ambiguous.size(), never.size());
            // (a) Nothing acked with a 204 was delivered on a connection opened after that 204 (see check()).
            assertEquals(List.of(), violations, "acked events delivered again; " + c.logs());
            assertEquals(0, ackedTwice.get(), "ids acked with a 204 twice: in flight again after they were settled");
            assertTrue(failover > 0 && deliveriesAfterKill.get() > 0, "no delivery after the kill");
            // (b) Every event was acked: those without a 204 were in an ack whose reply was lost, and the group
            // (lag 0, nothing in flight, nothing parked) settled them.
            assertTrue(ambiguous.containsAll(never), () -> "never acked: " + never);
            assertTrue(forwarded.get() >= 2, "consumer connections through a forwarding node: " + forwarded);
            // (d) Both survivors (the new leader, and a follower that forwards to it) report the same settled group.
            JsonObject a = status(survivors.get(0));
            assertEquals(a, status(survivors.get(1)), "the survivors' GET /groups/g");
            for (String k : List.of("lag", "inFlight", "parked")) {
                assertEquals(0, a.getInteger(k), k + " in " + a.encode());
            }
            assertEquals(3, a.getInteger("consumers"), a::encode);
            stopping = true;
            for (Consumer k : consumers) {
                k.stop();
            }
            // (e) The killed node rejoins on its data directory and forwards GET /groups/g to the leader.
            long restart = System.nanoTime();
            c.start(old);
            c.awaitStatus(old, GROUP, 200, Duration.ofSeconds(60));
            assertEquals(0, status(old).getInteger("lag"), "lag through the restarted node");
            assertNotEquals(old.id, c.leader(Duration.ofSeconds(10)).id, "the restarted node forwarded");
            System.out.printf("ClusterGroupIT: %s restarted, GET /groups/g 200 through it after %d ms; test took %d s (%s)%n",
                    old.id, ms(System.nanoTime() - restart), TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0),
                    ClusterNodes.load());
        } finally {
            stopping = true;
        }
    }

    /** Every id got a 204 or was in an ack of unknown outcome, and the group (through {@code n}) has no lag and nothing in flight. */
    private boolean settled(Node n) throws InterruptedException {
        if (!ids.stream().allMatch(id -> ackedAt.containsKey(id) || ambiguous.contains(id))) {
            return false;
        }
        try {
            HttpResponse<String> r = n.get(GROUP, REQUEST);
            lastStatus = r.statusCode() + " " + r.body();
            JsonObject s = r.statusCode() == 200 ? new JsonObject(r.body()) : null;
            return s != null && s.getInteger("lag") == 0 && s.getInteger("inFlight") == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * One delivery, on a connection whose GET was sent at {@code opened}. "Delivered again after its
     * ack" means: on a connection whose GET was sent after the ack's 204 came back. A 204 means the
     * settlement is committed in the Raft log and applied by the leader that answered, so any leader
     * that attaches a consumer later knows it, across a failover too. A frame on an older connection
     * may have been on its way when the ack was answered, and attempt numbers start again at 1 on a
     * new leader (in memory), so neither can tell a redelivery; this rule can. Acks answered before
     * the kill against connections opened after it are the failover case this test is about.
     */
    private void check(String id, int attempt, long opened, Node via) {
        deliveries.incrementAndGet();
        trace(id, "delivered, attempt " + attempt + ", through " + via.id + " on a connection opened at " + ms(opened - t0) + " ms");
        Long acked = ackedAt.get(id);
        if (acked != null && opened - acked > 0) {
            violations.add(id + " (attempt " + attempt + ", through " + via.id + ") on a connection opened " + ms(opened - acked)
                    + " ms after its ack's 204" + (afterKill(opened) && !afterKill(acked) ? ", across the kill" : ""));
        }
        if (afterKill(opened) && via != killed) {
            deliveriesAfterKill.incrementAndGet();
            firstDeliveryAfterKill.compareAndSet(0, System.nanoTime());
        }
    }

    private boolean afterKill(long nanos) {
        return killed != null && nanos - killAt > 0;
    }

    /** A consumer: attaches through its own node while that answers, else through a random survivor; reconnects when its stream ends. */
    private final class Consumer {
        private final Node home;
        private final Thread thread;
        private volatile InputStream body;

        Consumer(Node home) {
            this.home = home;
            this.thread = new Thread(this::run, "consumer-" + home.id);
            thread.setDaemon(true);
        }

        void stop() throws Exception {
            if (body != null) {
                body.close();
            }
            thread.join(10_000);
        }

        private void run() {
            try {
                while (!stopping) {
                    attach();
                    Thread.sleep(100); // a short back-off before attaching again
                }
            } catch (InterruptedException e) {
                // stopped
            }
        }

        private void attach() throws InterruptedException {
            Node via = home.answering() ? home : random();
            long opened = System.nanoTime();
            try {
                HttpResponse<InputStream> r = ClusterNodes.HTTP.send(via.request(GROUP + "/events", REQUEST)
                        .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                body = r.body();
                if (r.statusCode() != 200) { // a 503: no leader known yet, or it is loading the groups
                    body.close();
                    return;
                }
                connections.incrementAndGet();
                JsonObject s = via.state();
                forwarded.addAndGet(s != null && !via.id.equals(s.getString("leader")) ? 1 : 0);
                consume(body, opened, via);
            } catch (IOException e) {
                // refused or reset: the node, or the leader it forwarded to, died
            }
        }

        /** Reads frames until the stream ends; a thread of its own acks them while it lasts. */
        private void consume(InputStream in, long opened, Node via) throws IOException {
            LinkedBlockingQueue<String> toAck = new LinkedBlockingQueue<>();
            AtomicLong lastLine = new AtomicLong(System.nanoTime());
            AtomicBoolean open = new AtomicBoolean(true);
            Thread acker = new Thread(() -> ackWhileOpen(toAck, in, lastLine, open), thread.getName() + "-acks");
            acker.setDaemon(true);
            acker.start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String id = null;
                String line;
                while ((line = lines.readLine()) != null) {
                    lastLine.set(System.nanoTime());
                    if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("data: ") && id != null) {
                        JsonObject e = new JsonObject(line.substring(6));
                        check(e.getString("id"), e.getJsonObject("delivery").getInteger("attempt"), opened, via);
                        toAck.add(e.getString("id"));
                    } else if (line.isEmpty()) {
                        id = null;
                    }
                }
            } finally {
                // Not an interrupt: that would abandon an ack under way, one that may be settled, unrecorded.
                // What is not acked yet went back to the group with this connection: it gives it out again.
                open.set(false);
            }
        }

        /** Acks in batches of up to 50; closes the stream once it was silent for 5 s. */
        private void ackWhileOpen(LinkedBlockingQueue<String> toAck, InputStream in, AtomicLong lastLine, AtomicBoolean open) {
            try {
                while (open.get() && !stopping) {
                    String first = toAck.poll(100, TimeUnit.MILLISECONDS);
                    if (first != null) {
                        List<String> batch = new ArrayList<>(List.of(first));
                        toAck.drainTo(batch, 49);
                        ack(batch);
                    } else if (System.nanoTime() - lastLine.get() > TimeUnit.SECONDS.toNanos(5)) {
                        in.close();
                        return;
                    }
                }
            } catch (InterruptedException | IOException e) {
                // the stream ended
            }
        }
    }

    /**
     * One ack through a random answering node. 204: settled, recorded with the time. 404 (not in flight)
     * and the 503s of a node that knows no leader or of a leader loading the groups: not settled. A
     * refused connection: never sent. Any other failure may be settled with its reply lost: ambiguous.
     */
    private void ack(List<String> batch) throws InterruptedException {
        Node via = random();
        try {
            HttpResponse<String> r = via.postJson(GROUP + "/ack", new JsonObject().put("ids", new JsonArray(batch)).encode(), REQUEST);
            long now = System.nanoTime();
            batch.forEach(id -> trace(id, "ack through " + via.id + ": " + r.statusCode() + " " + r.body()));
            if (r.statusCode() == 204) {
                for (String id : batch) {
                    if (ackedAt.putIfAbsent(id, now) != null) {
                        ackedTwice.incrementAndGet();
                    }
                }
                if (ackedAt.size() >= EVENTS / 3) {
                    thirdAcked.countDown();
                }
                return;
            }
            failedAcks.incrementAndGet();
            if (r.statusCode() != 404 && !(r.statusCode() == 503
                    && (r.body().contains("no leader is known") || r.body().contains("is loading")))) {
                ambiguous.addAll(batch);
            }
        } catch (IOException e) {
            batch.forEach(id -> trace(id, "ack through " + via.id + ": " + e));
            failedAcks.incrementAndGet();
            if (!(e instanceof ConnectException)) {
                ambiguous.addAll(batch);
            }
        }
    }

    private void trace(String id, String what) {
        trace.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>())).add(ms(System.nanoTime() - t0) + " ms: " + what);
    }

    private Node random() {
        List<Node> up = cluster.nodes.stream().filter(n -> n.answering() && n != killed).toList();
        return up.isEmpty() ? cluster.nodes.get(0) : up.get(ThreadLocalRandom.current().nextInt(up.size()));
    }

    private void append(Node n, int from) throws Exception {
        JsonArray batch = new JsonArray();
        for (int i = 0; i < 500; i++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            batch.add(new JsonObject().put("id", id).put("type", "Placed").put("data", new JsonObject().put("n", from + i)));
        }
        // Re-sent with the same ids on a 503 or an I/O error: appends are idempotent by event id.
        HttpResponse<String> r = retry503(() -> n.postJson("/streams/orders", batch.encode(), REQUEST));
        assertEquals(201, r.statusCode(), r::body);
    }

    private JsonObject status(Node n) throws Exception {
        HttpResponse<String> r = retry503(() -> n.get(GROUP, REQUEST));
        assertEquals(200, r.statusCode(), () -> n.id + ": " + r.body());
        return new JsonObject(r.body());
    }

    /** The first answer that is not a 503 nor an I/O error, within 30 s. */
    private HttpResponse<String> retry503(Callable<HttpResponse<String>> call) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = call.call();
                if (r.statusCode() != 503) {
                    return r;
                }
                last = r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("only 503s or I/O errors for 30 s; last: " + last + "\n" + cluster.logs());
    }

    /** Polls until {@code condition}; on a timeout, fails with what the test saw of a few events never acked. */
    private void await(Callable<Boolean> condition, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                String unacked = ids.stream().filter(id -> !ackedAt.containsKey(id)).limit(5)
                        .map(id -> "\n  " + id + (ambiguous.contains(id) ? " (ambiguous): " : ": ") + trace.get(id)).toList().toString();
                throw new AssertionError("not within " + timeout + ": " + what + "; " + ackedAt.size() + " acked, "
                        + ambiguous.size() + " ambiguous, " + deliveries + " deliveries; last GET /groups/g: " + lastStatus
                        + "; violations " + violations + "; not acked, e.g.: " + unacked
                        + ClusterNodes.describe(cluster.states()) + "\n" + cluster.logs());
            }
            Thread.sleep(100);
        }
    }
}
