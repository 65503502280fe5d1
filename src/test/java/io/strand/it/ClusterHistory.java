package io.strand.it;

import io.strand.it.ClusterNodes.Node;
import io.strand.store.ExpectedVersion;
import io.strand.store.history.HistoryRecorder;
import io.strand.store.history.Operation;
import io.strand.store.history.StreamModel.Append;
import io.strand.store.history.StreamModel.AppendOk;
import io.strand.store.history.StreamModel.Conflict;
import io.strand.store.history.StreamModel.Input;
import io.strand.store.history.StreamModel.Output;
import io.strand.store.history.StreamModel.Read;
import io.strand.store.history.StreamModel.ReadOk;
import io.strand.store.history.StreamModel.Unknown;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records a history of {@code Expected-Version} appends and {@code Consistency: linearizable}
 * whole-stream reads, through random nodes of a cluster, for {@code LinearizabilityChecker} with
 * {@code StreamModel} (as EventStoreLinearizabilityTest does in process).
 *
 * <p>Recording over HTTP, with faults:
 * <ul>
 * <li>An append is one operation from right before its first attempt to the answer of its last. An
 *     attempt whose outcome is unknown (a 503, a timeout, a connection lost after sending) is re-sent
 *     with the same ids and expected version through a random node until a definite answer, for at
 *     most {@link #RESEND_FOR}. The store checks for a re-send before it checks the expected version,
 *     so a 201 is the batch's one outcome (whichever attempt took effect, it did so within the
 *     operation's interval). A 409 after an unknown attempt says the earlier attempt had not taken
 *     effect when the re-send was applied; it could still take effect later (a node's Raft client
 *     may go on re-trying it) only if its expected version could match later. For a number
 *     {@code n} and a 409 naming {@code c}: the client took {@code n} from an answer it got before
 *     (a version that existed then; versions only grow), so {@code n < c} and it never matches
 *     again; {@code no-stream} never matches again once the stream has events. So the 409 is
 *     recorded as it is for those, and as unknown for {@code exists} (it matches once the stream
 *     gets an event). No definite answer in time is unknown.</li>
 * <li>A refused connection (nothing was sent) is simply tried on another node.</li>
 * <li>A read answers 200 (versions and ids), 404 (an empty stream), or anything else: unknown.</li>
 * </ul>
 */
final class ClusterHistory {
    static final Duration RESEND_FOR = Duration.ofSeconds(15);
    private static final int STREAMS = 2;

    private final List<Node> nodes;
    private final int clients;
    private final Duration requestTimeout;
    private final HistoryRecorder<Input, Output> recorder = new HistoryRecorder<>(new Unknown("no answer"));
    private final AtomicLong ids = new AtomicLong();
    private final long idMsb = 0x4C494E4300000000L | (System.nanoTime() & 0xFFFFFFFFL);
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();

    final AtomicInteger operations = new AtomicInteger();
    final AtomicLong oks = new AtomicLong();
    final AtomicLong conflicts = new AtomicLong();
    final AtomicLong unknownAppends = new AtomicLong();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong readEvents = new AtomicLong();
    final AtomicLong unknownReads = new AtomicLong();
    final AtomicLong resends = new AtomicLong();
    private final Map<String, Integer> unknownWhy = new ConcurrentSkipListMap<>();

    ClusterHistory(List<Node> nodes, int clients, Duration requestTimeout) {
        this.nodes = nodes;
        this.clients = clients;
        this.requestTimeout = requestTimeout;
    }

    void start() {
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                try {
                    new Client(client, new SplittableRandom(client * 31L + System.nanoTime())).run();
                } catch (InterruptedException e) {
                    // stopped
                } catch (Throwable e) {
                    errors.add("client " + client + ": " + e);
                }
            }, "lin-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Waits until {@code n} more operations have ended than when called, or the time is up; false then. */
    boolean awaitMore(int n, Duration timeout) throws InterruptedException {
        int target = operations.get() + n;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (operations.get() < target && System.nanoTime() < deadline && errors.isEmpty()) {
            Thread.sleep(10);
        }
        return operations.get() >= target;
    }

    /** Stops the clients (each finishes its operation, re-sends included) and returns the history. */
    List<Operation<Input, Output>> stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(RESEND_FOR.toMillis() + 2 * requestTimeout.toMillis() + 5_000);
            if (t.isAlive()) {
                errors.add(t.getName() + " did not stop");
                t.interrupt();
            }
        }
        return recorder.history();
    }

    String stats() {
        return operations + " operations: appends ok " + oks + ", conflicts " + conflicts + ", unknown " + unknownAppends
                + lines(unknownWhy) + "\n re-sends " + resends + lines(attemptWhy) + "\n reads " + reads + " (" + readEvents
                + " events), unknown reads " + unknownReads + lines(readWhy);
    }

    /** One reason a line, with its count. */
    static String lines(Map<String, Integer> counts) {
        StringBuilder b = new StringBuilder();
        counts.forEach((why, n) -> b.append("\n   ").append(n).append(" x ").append(why));
        return b.toString();
    }

    private void unknown(String why) {
        unknownWhy.merge(why.length() > 100 ? why.substring(0, 100) : why, 1, Integer::sum);
    }

    /** Why append attempts had an unknown outcome (re-sent), by answer. */
    private final Map<String, Integer> attemptWhy = new ConcurrentSkipListMap<>();
    /** Why reads had no answer, by answer. */
    private final Map<String, Integer> readWhy = new ConcurrentSkipListMap<>();

    /** Names the part of the run the reasons below are counted under (e.g. "before the kill"). */
    volatile String phase = "start";

    private void attempt(Node n, String why) {
        attemptWhy.merge(phase + ", " + n.id + ": " + why, 1, Integer::sum);
    }

    private void readUnknown(Node n, String why) {
        readWhy.merge(phase + ", " + n.id + ": " + why, 1, Integer::sum);
    }

    /** The problem's detail, shortened, without what varies from one request to the next (ids, numbers). */
    static String detail(String body) {
        String d;
        try {
            d = String.valueOf(new JsonObject(body).getString("detail"));
        } catch (RuntimeException e) {
            d = body;
        }
        int tail = d.indexOf("; the outcome is unknown");
        d = tail > 0 ? d.substring(0, tail) : d;
        d = d.replaceAll("org\\.apache\\.ratis\\.[a-z.]*\\.", "").replaceAll("client-[0-9A-F]+", "client-*")
                .replaceAll("group-[0-9A-F]+", "group-*").replaceAll("\\d+", "#");
        return d.length() > 160 ? d.substring(0, 160) : d;
    }

    /** One client: one operation at a time, remembering the last version it saw of each stream. */
    private final class Client {
        private final int id;
        private final SplittableRandom random;
        private final long[] lastSeen = new long[STREAMS];

        Client(int id, SplittableRandom random) {
            this.id = id;
            this.random = random;
            Arrays.fill(lastSeen, -1);
        }

        void run() throws InterruptedException {
            while (!stop.get()) {
                int s = random.nextInt(10) < 6 ? 0 : 1; // stream 0 is hot
                if (random.nextInt(100) < 30) {
                    read(s);
                } else if (append(s)) {
                    read(s); // after a 409, catch up
                }
            }
        }

        private String stream(int s) {
            return "lin-" + s;
        }

        private Node node() {
            return nodes.get(random.nextInt(nodes.size()));
        }

        private long expected(int s) {
            return io.strand.store.history.ExpectedVersions.pick(random, lastSeen[s]);
        }

        /** Appends; true when refused with a version conflict. */
        private boolean append(int s) throws InterruptedException {
            int k = 1 + random.nextInt(3);
            long[] eventIds = new long[k];
            JsonArray batch = new JsonArray();
            for (int i = 0; i < k; i++) {
                eventIds[i] = ids.incrementAndGet();
                batch.add(new JsonObject().put("id", new UUID(idMsb, eventIds[i]).toString()).put("type", "Lin")
                        .put("data", new JsonObject().put("c", id)));
            }
            long expected = expected(s);
            String body = batch.encode();
            HistoryRecorder.Call<Input, Output> call = recorder.begin(id, new Append(stream(s), expected, eventIds));
            try {
                boolean unknownAttempt = false;
                long deadline = System.nanoTime() + RESEND_FOR.toNanos();
                boolean first = true;
                while (System.nanoTime() < deadline) {
                    if (!first) {
                        resends.incrementAndGet();
                    }
                    first = false;
                    Node n = node();
                    HttpResponse<String> r;
                    try {
                        r = n.postJson("/streams/" + stream(s), body, requestTimeout,
                                "Expected-Version", ExpectedVersion.describe(expected));
                    } catch (HttpConnectTimeoutException | ConnectException notSent) {
                        Thread.sleep(20);
                        continue;
                    } catch (IOException e) {
                        unknownAttempt = true; // a timeout, or the connection lost after sending
                        attempt(n, e.getClass().getSimpleName());
                        Thread.sleep(20);
                        continue;
                    }
                    if (r.statusCode() == 201) {
                        JsonObject o = new JsonObject(r.body());
                        AppendOk ok = new AppendOk(o.getLong("firstVersion"), o.getLong("lastVersion"));
                        call.end(ok);
                        oks.incrementAndGet();
                        lastSeen[s] = ok.lastVersion();
                        return false;
                    }
                    if (r.statusCode() == 409) {
                        JsonObject p = new JsonObject(r.body());
                        if (!"urn:strand:problem:wrong-expected-version".equals(p.getString("type"))) {
                            errors.add(n.id + " answered an unexpected 409: " + r.body());
                            call.endUnknown(new Unknown("unexpected 409"));
                            return false;
                        }
                        Long current = p.getLong("currentVersion");
                        long c = current == null ? -1 : current;
                        if (unknownAttempt && expected == ExpectedVersion.EXISTS) {
                            call.endUnknown(new Unknown("409 to expected exists after an attempt with an unknown outcome"));
                            unknownAppends.incrementAndGet();
                            unknown("409 to expected exists after an attempt with an unknown outcome");
                        } else {
                            call.end(new Conflict(c));
                        }
                        conflicts.incrementAndGet();
                        lastSeen[s] = c;
                        return true;
                    }
                    if (r.statusCode() == 503) {
                        unknownAttempt = true;
                        attempt(n, "503 " + detail(r.body()));
                        Thread.sleep(50);
                        continue;
                    }
                    errors.add(n.id + " answered " + r.statusCode() + " " + r.body() + " to an append");
                    call.endUnknown(new Unknown("unexpected " + r.statusCode()));
                    return false;
                }
                call.endUnknown(new Unknown("no definite answer in " + RESEND_FOR));
                unknownAppends.incrementAndGet();
                unknown("no definite answer in " + RESEND_FOR);
                return false;
            } finally {
                operations.incrementAndGet();
            }
        }

        private void read(int s) throws InterruptedException {
            HistoryRecorder.Call<Input, Output> call = recorder.begin(id, new Read(stream(s)));
            try {
                for (int attempt = 0; attempt < 3; attempt++) {
                    Node n = node();
                    HttpResponse<String> r;
                    try {
                        r = n.get("/streams/" + stream(s) + "?limit=1000", requestTimeout, "Consistency", "linearizable");
                    } catch (HttpConnectTimeoutException | ConnectException notSent) {
                        continue;
                    } catch (IOException e) {
                        call.endUnknown(new Unknown(e.toString()));
                        unknownReads.incrementAndGet();
                        readUnknown(n, e.getClass().getSimpleName());
                        return;
                    }
                    if (r.statusCode() == 200) {
                        JsonObject page = new JsonObject(r.body());
                        JsonArray events = page.getJsonArray("events");
                        long[] versions = new long[events.size()];
                        long[] eventIds = new long[events.size()];
                        for (int i = 0; i < versions.length; i++) {
                            JsonObject e = events.getJsonObject(i);
                            versions[i] = e.getLong("version");
                            UUID u = UUID.fromString(e.getString("id"));
                            eventIds[i] = u.getMostSignificantBits() == idMsb ? u.getLeastSignificantBits() : -1;
                        }
                        call.end(new ReadOk(versions, eventIds));
                        if (page.getValue("next") != null) {
                            errors.add("a whole-stream read did not fit in one page: " + stream(s));
                        }
                        reads.incrementAndGet();
                        readEvents.addAndGet(versions.length);
                        if (versions.length > 0) {
                            lastSeen[s] = versions[versions.length - 1];
                        }
                        return;
                    }
                    if (r.statusCode() == 404) {
                        call.end(new ReadOk(new long[0], new long[0])); // no event committed: an empty read
                        reads.incrementAndGet();
                        return;
                    }
                    if (r.statusCode() != 503) {
                        errors.add(n.id + " answered " + r.statusCode() + " " + r.body() + " to a linearizable read");
                    }
                    call.endUnknown(new Unknown("read answered " + r.statusCode()));
                    unknownReads.incrementAndGet();
                    readUnknown(n, r.statusCode() + " " + detail(r.body()));
                    return;
                }
                call.endUnknown(new Unknown("read: no node took the connection"));
                unknownReads.incrementAndGet();
            } finally {
                operations.incrementAndGet();
            }
        }
    }
}
