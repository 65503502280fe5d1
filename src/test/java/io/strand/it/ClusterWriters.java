package io.strand.it;

import io.strand.it.ClusterNodes.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Client threads that append events with ids they chose to a few streams through random nodes and,
 * as a client must when an outcome is unknown, re-send the same request (same ids, same body) on a
 * 503, a connection error or a timeout until it is acknowledged, for at most {@link #GIVE_UP} per
 * batch. Records what was acknowledged (id to stream and version) and when each acknowledged
 * attempt started and was answered, to measure failover.
 */
final class ClusterWriters {
    static final Duration GIVE_UP = Duration.ofSeconds(30);

    /** One acknowledged event. */
    record Acked(String stream, long version, long batchPosition) {
    }

    /**
     * An acknowledged batch (nanoTime): its first attempt was sent at {@code firstSent}, the
     * acknowledged one at {@code sentAt}, answered 201 at {@code answeredAt}.
     */
    record AckTime(long firstSent, long sentAt, long answeredAt) {
    }

    private final List<Node> nodes;
    private final int threads;
    private final int streams;
    private final String prefix;
    private final Duration requestTimeout;
    private final Supplier<Integer> batchSize;

    final Map<String, Acked> acked = new ConcurrentHashMap<>();
    /** Every id ever sent (acknowledged or not). */
    final Set<String> sent = ConcurrentHashMap.newKeySet();
    /** Ids whose batch was given up on (outcome unknown). */
    final Set<String> gaveUp = ConcurrentHashMap.newKeySet();
    final Queue<AckTime> ackTimes = new ConcurrentLinkedQueue<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong unavailable = new AtomicLong();
    final Map<String, Integer> unavailableWhy = new java.util.concurrent.ConcurrentSkipListMap<>();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong timeouts = new AtomicLong();
    final AtomicLong ioErrors = new AtomicLong();
    final AtomicLong resent = new AtomicLong();
    final AtomicLong duplicatesAnswered = new AtomicLong();
    /** Bytes of request bodies acknowledged. */
    final AtomicLong ackedBodyBytes = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> running = new ArrayList<>();
    private volatile Function<SplittableRandom, Node> target;
    private String padding = null;
    private long bodyBudget = Long.MAX_VALUE;
    private final AtomicLong bodyBytesTaken = new AtomicLong();

    /**
     * @param batchSize events per request (called once per batch, from the writer's thread: it may be random)
     */
    ClusterWriters(List<Node> nodes, int threads, int streams, String prefix, Duration requestTimeout,
                   Supplier<Integer> batchSize) {
        this.nodes = nodes;
        this.threads = threads;
        this.streams = streams;
        this.prefix = prefix;
        this.requestTimeout = requestTimeout;
        this.batchSize = batchSize;
        this.target = random -> nodes.get(random.nextInt(nodes.size()));
    }

    /** Each event's data also carries {@code bytes} characters of padding. */
    ClusterWriters padding(int bytes) {
        padding = "x".repeat(bytes);
        return this;
    }

    /** The writers stop by themselves once they have taken batches of this many body bytes. */
    ClusterWriters budget(long bodyBytes) {
        bodyBudget = bodyBytes;
        return this;
    }

    /** Where each attempt goes (default: a random node). */
    ClusterWriters through(Function<SplittableRandom, Node> target) {
        this.target = target;
        return this;
    }

    /** Waits for the writers to end by themselves (their budget spent). */
    void join(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : running) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        for (Thread t : running) {
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " still writing after " + timeout + "; " + stats());
            }
        }
    }

    void start() {
        for (int t = 0; t < threads; t++) {
            int writer = t;
            Thread thread = new Thread(() -> run(writer), prefix + "writer-" + t);
            thread.setDaemon(true);
            running.add(thread);
            thread.start();
        }
    }

    /** Stops taking new batches; a batch in progress is still re-sent until acknowledged or given up on. */
    void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : running) {
            t.join(GIVE_UP.toMillis() + 15_000);
            if (t.isAlive()) {
                errors.add(t.getName() + " did not stop");
                t.interrupt();
            }
        }
    }

    /**
     * The earliest 201 to a batch first sent at or after {@code t} (nanoTime), or -1. (A batch first
     * sent earlier may have been written before {@code t}; a node can answer its re-send from its own
     * log, with no leader.)
     */
    long firstAckSentAfter(long t) {
        long first = Long.MAX_VALUE;
        for (AckTime a : ackTimes) {
            if (a.firstSent >= t && a.answeredAt < first) {
                first = a.answeredAt;
            }
        }
        return first == Long.MAX_VALUE ? -1 : first;
    }

    /** Waits (bounded) for a 201 to an attempt sent at or after {@code t}; its nanoTime, or -1. */
    long awaitAckSentAfter(long t, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long first;
        while ((first = firstAckSentAfter(t)) < 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return first;
    }

    String stats() {
        return "batches acknowledged " + batches + ", events acknowledged " + acked.size() + ", sent " + sent.size()
                + ", given up " + gaveUp.size() + "; 503s " + unavailable + ClusterHistory.lines(unavailableWhy) + "\n refused connections " + refused
                + ", timeouts " + timeouts + ", other I/O errors " + ioErrors + ", re-sends " + resent
                + " (answered as duplicates " + duplicatesAnswered + ")";
    }

    private void run(int writer) {
        SplittableRandom random = new SplittableRandom(writer * 7919L + System.nanoTime());
        int seq = 0;
        while (!stop.get() && !Thread.currentThread().isInterrupted()) {
            int k = batchSize.get();
            String stream = prefix + random.nextInt(streams);
            List<String> ids = new ArrayList<>(k);
            JsonArray batch = new JsonArray();
            for (int i = 0; i < k; i++) {
                String id = UUID.randomUUID().toString();
                ids.add(id);
                JsonObject data = new JsonObject().put("w", writer).put("i", seq++);
                if (padding != null) {
                    data.put("p", padding);
                }
                batch.add(new JsonObject().put("id", id).put("type", "Load").put("data", data));
            }
            String body = k == 1 ? batch.getJsonObject(0).encode() : batch.encode();
            if (bodyBytesTaken.addAndGet(body.length()) > bodyBudget) {
                return;
            }
            sent.addAll(ids);
            try {
                send(random, stream, ids, body);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Re-sends the same body until a 201, an unexpected answer, or {@link #GIVE_UP}. */
    private void send(SplittableRandom random, String stream, List<String> ids, String body) throws InterruptedException {
        long firstSent = System.nanoTime();
        long giveUp = firstSent + GIVE_UP.toNanos();
        boolean again = false;
        while (System.nanoTime() < giveUp) {
            Node n = target.apply(random);
            if (again) {
                resent.incrementAndGet();
            }
            again = true;
            long sentAt = System.nanoTime();
            try {
                HttpResponse<String> r = n.postJson("/streams/" + stream, body, requestTimeout);
                if (r.statusCode() == 201) {
                    long answeredAt = System.nanoTime();
                    JsonObject o = new JsonObject(r.body());
                    long first = o.getLong("firstVersion");
                    if (!stream.equals(o.getString("stream")) || o.getLong("lastVersion") != first + ids.size() - 1) {
                        errors.add(n.id + " answered " + r.body() + " to a batch of " + ids.size() + " for " + stream);
                    }
                    for (int i = 0; i < ids.size(); i++) {
                        acked.put(ids.get(i), new Acked(stream, first + i, o.getLong("position")));
                    }
                    if (Boolean.TRUE.equals(o.getBoolean("duplicate"))) {
                        duplicatesAnswered.incrementAndGet();
                    }
                    ackTimes.add(new AckTime(firstSent, sentAt, answeredAt));
                    batches.incrementAndGet();
                    ackedBodyBytes.addAndGet(body.length());
                    return;
                } else if (r.statusCode() == 503) {
                    unavailable.incrementAndGet();
                    unavailableWhy.merge(n.id + ": " + ClusterHistory.detail(r.body()), 1, Integer::sum);
                    if (r.headers().firstValue("Retry-After").isEmpty()) {
                        errors.add(n.id + " answered 503 without Retry-After: " + r.body());
                    }
                    Thread.sleep(50);
                } else {
                    errors.add(n.id + " answered " + r.statusCode() + " " + r.body() + " to " + stream + " " + ids);
                    return;
                }
            } catch (HttpConnectTimeoutException | ConnectException e) {
                refused.incrementAndGet();
                Thread.sleep(20);
            } catch (HttpTimeoutException e) {
                timeouts.incrementAndGet();
            } catch (IOException e) {
                ioErrors.incrementAndGet();
                Thread.sleep(20);
            }
        }
        gaveUp.addAll(ids);
    }
}
