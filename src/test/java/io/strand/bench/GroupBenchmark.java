package io.strand.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shared groups over HTTP: deliveries acked per second with 1 and 10 consumers, and the latency of
 * an ack ({@code POST /groups/{g}/ack} sent to its 204: the settled offsets are recorded, flushed,
 * before the answer). The packaged server runs as a child process on 127.0.0.1
 * ({@link HttpBenchServer}, 256 MiB segments, other settings default) with a fresh data directory
 * under {@code target/bench-groups}; one stream holds {@code events} events of 128 B JSON data.
 * Each case creates a group on it ({@code from: start}, {@code maxInFlight} 100 per consumer,
 * round-robin), attaches its consumers (each an SSE connection, {@code GET /groups/{g}/events},
 * read on a thread of its own) and times until every event is acked. Each consumer acks on a second
 * thread, one request at a time: whatever ids it was given meanwhile, up to {@code batch} per
 * request. After each case the group's status must say every event was delivered once and acked.
 *
 * <pre>
 *   ./mvnw -q -o -DskipTests package exec:exec -Dexec.executable=java \
 *       -Dexec.args="-cp %classpath io.strand.bench.GroupBenchmark"
 * </pre>
 *
 * Arguments (optional): {@code events=50000}, {@code consumers=1,10}, {@code batch=50},
 * {@code inflight=100}, {@code rounds=2}, {@code keep}.
 */
public final class GroupBenchmark {
    private static final Pattern FIELD = Pattern.compile("\"(acked|delivered|redeliveries|inFlight|lag)\":(\\d+)");
    private static final String STREAM = "bench-orders";
    private static HttpClient http;
    private static String base;

    private GroupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = 50_000;
        List<Integer> consumerCounts = List.of(1, 10);
        int batch = 50;
        int inFlight = 100;
        int rounds = 2;
        boolean keep = false;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "events" -> events = Integer.parseInt(kv[1]);
                case "consumers" -> consumerCounts = Arrays.stream(kv[1].split(",")).map(Integer::valueOf).toList();
                case "batch" -> batch = Integer.parseInt(kv[1]);
                case "inflight" -> inFlight = Integer.parseInt(kv[1]);
                case "rounds" -> rounds = Integer.parseInt(kv[1]);
                case "keep" -> keep = true;
                default -> throw new IllegalArgumentException("unknown argument " + a
                        + " (events=N, consumers=N,N, batch=N, inflight=N, rounds=N, keep)");
            }
        }
        Path dir = Paths.get("target", "bench-groups").toAbsolutePath();
        HttpBenchServer.deleteDir(dir);
        Path jar = Paths.get("target", "quarkus-app", "quarkus-run.jar");
        System.out.println("# Strand shared-group benchmark");
        System.out.println("- machine: " + HttpBenchmark.machineDescription(Paths.get("target")));
        System.out.println("- load average at the start: " + HttpBenchmark.loadAverage());
        try (HttpBenchServer server = HttpBenchServer.start(dir, jar, 1024, List.of(), keep, 120)) {
            base = "http://127.0.0.1:" + server.port;
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
            fill(events);
            System.out.printf(Locale.ROOT, "- server: %s; %,d events of 128 B JSON data in %s; client JDK HttpClient, JVM %s%n",
                    server.jvmDescription(), events, STREAM, System.getProperty("java.version"));
            System.out.printf(Locale.ROOT, "- per consumer: maxInFlight %d, acks of up to %d ids, one at a time%n%n", inFlight, batch);
            for (int r = 1; r <= rounds; r++) {
                for (int c : consumerCounts) {
                    run(r, c, events, batch, inFlight);
                }
            }
            System.out.println("- load average at the end: " + HttpBenchmark.loadAverage());
        }
        System.exit(0);
    }

    private static void fill(int events) throws Exception {
        String one = "{\"type\":\"OrderPlaced\",\"data\":{\"pad\":\"" + "x".repeat(118) + "\"}}";
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int k = 0; k < events; k += 1000) {
            int n = Math.min(1000, events - k);
            String body = "[" + String.join(",", java.util.Collections.nCopies(n, one)) + "]";
            pending.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/streams/" + STREAM))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString()));
            if (pending.size() == 4 || k + n >= events) {
                for (CompletableFuture<HttpResponse<String>> f : pending) {
                    expect(f.get(60, TimeUnit.SECONDS), 201);
                }
                pending.clear();
            }
        }
    }

    private static void run(int round, int consumers, int events, int batch, int inFlight) throws Exception {
        String group = "bench-" + consumers + "-" + round;
        AtomicLong acked = new AtomicLong();
        List<Consumer> cs = new ArrayList<>();
        long started = System.nanoTime();
        expect(http.send(HttpRequest.newBuilder(URI.create(base + "/groups/" + group)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"stream\":\"" + STREAM + "\",\"maxInFlight\":" + inFlight
                        + ",\"ackTimeout\":120}")).build(), HttpResponse.BodyHandlers.ofString()), 201);
        for (int i = 0; i < consumers; i++) {
            cs.add(new Consumer(group, batch, events, acked));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        synchronized (acked) {
            while (acked.get() < events && System.nanoTime() < deadline && cs.stream().noneMatch(c -> c.failure != null)) {
                acked.wait(100);
            }
        }
        long nanos = System.nanoTime() - started;
        for (Consumer c : cs) {
            c.close();
            if (c.failure != null) {
                throw new IllegalStateException("a consumer failed", c.failure);
            }
        }
        if (acked.get() < events) {
            throw new IllegalStateException(group + ": " + acked.get() + " of " + events + " acked within 300 s");
        }
        HttpResponse<String> st = http.send(HttpRequest.newBuilder(URI.create(base + "/groups/" + group)).build(),
                HttpResponse.BodyHandlers.ofString());
        java.util.Map<String, Long> status = figures(expect(st, 200).body());
        if (!status.equals(java.util.Map.of("acked", (long) events, "delivered", (long) events, "redeliveries", 0L,
                "inFlight", 0L, "lag", 0L))) {
            throw new IllegalStateException(group + ": " + st.body());
        }
        expect(http.send(HttpRequest.newBuilder(URI.create(base + "/groups/" + group)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()), 204);
        long[] latencies = cs.stream().flatMapToLong(c -> Arrays.stream(c.latencies, 0, c.acks)).sorted().toArray();
        System.out.printf(Locale.ROOT, "round %d  %2d consumer(s)  %6.2f s  acked %,9.0f deliveries/s  %,6d acks of %5.1f ids"
                        + "  ack latency p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms%n",
                round, consumers, nanos / 1e9, events * 1e9 / nanos, latencies.length, (double) events / latencies.length,
                percentile(latencies, 0.50) / 1e6, percentile(latencies, 0.99) / 1e6, latencies[latencies.length - 1] / 1e6);
    }

    /** The group status's counts that a case checks. */
    private static java.util.Map<String, Long> figures(String json) {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        Matcher m = FIELD.matcher(json);
        while (m.find()) {
            out.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return out;
    }

    private static long percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static <T> HttpResponse<T> expect(HttpResponse<T> r, int status) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(r.request().method() + " " + r.uri() + " answered " + r.statusCode() + ": " + r.body());
        }
        return r;
    }

    /** One consumer: its SSE connection read on one thread, its acks sent from another. */
    private static final class Consumer {
        private final String group;
        private final int batch;
        private final AtomicLong acked;
        private final InputStream body;
        private final LinkedBlockingQueue<String> given = new LinkedBlockingQueue<>();
        private final Thread reader;
        private final Thread acker;
        final long[] latencies;
        int acks;
        volatile Throwable failure;
        private volatile boolean done;

        Consumer(String group, int batch, int events, AtomicLong acked) throws Exception {
            this.group = group;
            this.batch = batch;
            this.acked = acked;
            this.latencies = new long[events];
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/groups/" + group + "/events"))
                    .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
            this.body = expect(r, 200).body();
            reader = new Thread(this::read, "group-reader");
            acker = new Thread(this::ack, "group-acker");
            reader.setDaemon(true);
            acker.setDaemon(true);
            reader.start();
            acker.start();
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("id: ")) {
                        given.add(line.substring(4));
                    }
                }
            } catch (IOException e) {
                if (!done) {
                    failure = e;
                }
            }
        }

        private void ack() {
            List<String> ids = new ArrayList<>(batch);
            try {
                while (!done) {
                    String first = given.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    ids.add(first);
                    given.drainTo(ids, batch - 1);
                    String json = "{\"ids\":[\"" + String.join("\",\"", ids) + "\"]}";
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/groups/" + group + "/ack"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    latencies[acks++] = System.nanoTime() - t0;
                    expect(r, 204);
                    synchronized (acked) {
                        acked.addAndGet(ids.size());
                        acked.notifyAll();
                    }
                    ids.clear();
                }
            } catch (Exception e) {
                if (!done) {
                    failure = e;
                }
            }
        }

        void close() throws Exception {
            done = true;
            acker.join(10_000);
            body.close();
        }
    }
}
