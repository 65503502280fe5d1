package io.strand.bench;

import io.strand.bench.HttpLoad.BinaryParser;
import io.strand.bench.HttpLoad.Latency;
import io.strand.bench.HttpLoad.Load;
import io.strand.bench.HttpLoad.Reply;
import io.strand.bench.HttpLoad.SseParser;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * The HTTP edge under load, on this machine, in one bounded run (about 75 s, plus Maven) against
 * the packaged server started as a child process on 127.0.0.1 ({@link HttpBenchServer}):
 *
 * <pre>
 * ./mvnw -q -o -DskipTests package exec:exec -Dexec.executable=java \
 *     -Dexec.args="-cp %classpath io.strand.bench.HttpBenchmark"
 * </pre>
 *
 * <p>The server: {@code java -Xmx1g -jar target/quarkus-app/quarkus-run.jar} with a fresh data
 * directory under {@code target/bench-http} (deleted afterwards), 256 MiB segments, otherwise the
 * defaults (pool on, async flush, 4 read threads, Quarkus's event loops), JMX on 127.0.0.1 for the
 * measurements. The client: Vert.x {@link HttpClient} on {@code loops} event loops, HTTP/1.1
 * keep-alive, a pool of {@code connections} connections, closed loop with as many requests in flight
 * (no pipelining); requests are only sent from client event loops. Client and server share the
 * machine's CPUs: every case prints the CPU each side took (the server's per OS thread, JIT and GC
 * included), and {@code (*)} marks a case where other processes took more than 15% of a CPU.
 *
 * <p>Cases (each timed case: {@code warmup} s, then {@code measure} s; a {@code prewarm} of appends
 * and health probes runs first, unmeasured, for the JIT):
 * <ul>
 *   <li>{@code append-single}: {@code POST /streams/s-N}, one event of 128 B JSON data, streams
 *       round-robin over {@code streams}; appends/s and latency (send to last byte of the 201).</li>
 *   <li>{@code append-batch}: the same with arrays of {@code batch} events per POST.</li>
 *   <li>{@code health-live}: {@code GET /q/health/live} with the same client: the ceiling of this
 *       client, server and machine for a request that does no work of ours; {@code route-404}: an
 *       unknown route (answered by the router on the event loop), a lighter one.</li>
 *   <li>{@code sse-fanout-R}: {@code subscribers} SSE connections on one stream ({@code from=end})
 *       while single-event appends to it run at R/s (each of {@code rates}); each event's data
 *       carries its send time, so delivery latency is the subscriber's receive time minus the
 *       append's send time; appends due while 256 are outstanding are dropped (and counted).</li>
 *   <li>{@code fill-1kib}: {@code kib} events of 1 KiB JSON data in batches of 100 to one stream.</li>
 *   <li>Zero copy ({@code zc-*}): heap bytes allocated in the server per event served, from JMX
 *       (per-thread allocated bytes, all threads but JMX/RMI/JFR, before and after), each after a
 *       warm-up pass: binary pages of 1,000 and 100 over the 1 KiB stream (its records are adjacent,
 *       so a page is one mapped run), binary pages of 100 over the append-single streams (every
 *       record a run of its own: the worst case), one SSE subscriber catching up the 1 KiB stream,
 *       and JSON and NDJSON pages for comparison. Then (unless {@code nojfr}) a JFR profile of the
 *       server ({@code jdk.ObjectAllocationSample} and {@code jdk.ExecutionSample}) over one more
 *       pass of single appends, interleaved binary pages, SSE catch-up and JSON pages, summarised
 *       by class, allocation site and nearest Strand frame.</li>
 *   <li>{@code log-*}: {@code GET /log} in chunks of {@code chunks} MiB over the first {@code log}
 *       MiB of the log (topped up with 1 KiB events if shorter), sendfile against {@code via=mmap},
 *       after an unmeasured pass of each that checks both send the same bytes (CRC32C).</li>
 * </ul>
 *
 * <p>Arguments (all optional): {@code quick} (1 s warm-up, 2 s measured, smaller data), {@code warmup=S},
 * {@code measure=S}, {@code prewarm=S}, {@code connections=64}, {@code loops=2} (client event
 * loops), {@code streams=1000}, {@code batch=100}, {@code subscribers=1000}, {@code rates=2000,20},
 * {@code kib=150000} (1 KiB events in the zero-copy stream; the figures want at least 100,000),
 * {@code log=512} (MiB read per pass), {@code chunks=1,8} (MiB), {@code nojfr},
 * {@code only=ID,PREFIX*,...}, {@code heap=1024} (server MiB), {@code server=-XX:...} (an extra
 * server JVM argument, repeatable), {@code jar=PATH}, {@code dir=PATH}, {@code keep} (keep the run
 * directory: data, server.log, JFR files), {@code timeout=240} (s: the whole run is killed after it).
 */
public final class HttpBenchmark {

    private static final String TYPE = "BenchEvent";
    private static final String EVENT_LOOPS = "vert.x-eventloop-thread-*";
    private static final String READ_THREADS = "strand-read-*";
    private static final long ORIGIN = System.nanoTime() - 1_000_000_000L;
    private static final long WINDOW = 100_000_000L;

    // ---------------------------------------------------------------- options

    static double warmupSeconds = 2.0;
    static double measureSeconds = 5.0;
    static double prewarmSeconds = 3.0;
    static int connections = 64;
    static int clientLoops = 2;
    static int streams = 1000;
    static int batch = 100;
    static int subscribers = 1000;
    static List<Integer> fanRates = List.of(2000, 20);
    static int kibEvents = 150_000;
    static long logReadBytes = 512L << 20;
    static List<Integer> logChunksMiB = List.of(1, 8);
    static boolean jfr = true;
    static boolean keep;
    static int serverHeapMiB = 1024;
    static final List<String> serverArgs = new ArrayList<>();
    static List<String> only = List.of();
    static Path root = Paths.get("target", "bench-http");
    static Path jar = Paths.get("target", "quarkus-app", "quarkus-run.jar");
    static int timeoutSeconds = 240;

    private static final List<Result> results = new ArrayList<>();
    private static final List<ZeroCopy> zeroCopy = new ArrayList<>();
    private static final List<String> profiles = new ArrayList<>();
    private static final List<String> oddities = new ArrayList<>();

    private static HttpBenchServer server;
    private static Vertx vertx;
    private static HttpClient client;
    private static HttpClient readClient;

    public static void main(String[] args) throws Exception {
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        java.util.logging.Logger.getLogger("io.netty").setLevel(java.util.logging.Level.WARNING);
        for (String a : args) {
            for (String arg : a.trim().split("\\s+")) {
                parseArg(arg);
            }
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " not found: build it first (./mvnw -o -DskipTests package)");
        }
        Files.createDirectories(root);
        root = root.toAbsolutePath();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeoutSeconds * 1000L);
                System.out.println("TIMEOUT: the run took more than " + timeoutSeconds + " s; stopping (the server is killed by the exit hook)");
                System.out.flush();
                System.exit(3);
            } catch (InterruptedException ignored) {
                // finished in time
            }
        }, "http-bench-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        System.out.println("# Strand HTTP benchmark");
        System.out.println();
        System.out.println("- machine: " + machineDescription(root));
        System.out.println("- client JVM: " + jvmDescription() + "; Vert.x client, " + clientLoops
                + " event loop(s), HTTP/1.1 keep-alive, " + connections + " connections, " + connections + " requests in flight");
        System.out.println("- load average at the start: " + loadAverage());
        long start = System.nanoTime();
        Path dir = root.resolve("run-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis());
        try {
            server = HttpBenchServer.start(dir, jar, serverHeapMiB, serverArgs, keep, 60);
            System.out.printf(Locale.ROOT, "- server: pid %d, ready %.1f s after start; %s; port %d, JMX on 127.0.0.1:%d;"
                            + " 256 MiB segments, other settings default; data in %s%n", server.pid(),
                    (System.nanoTime() - start) / 1e9, server.jvmDescription(), server.port, server.jmxPort, dir);
            System.out.printf(Locale.ROOT, "- warmup %.1f s, measure %.1f s per timed case%n%n", warmupSeconds, measureSeconds);
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(clientLoops).setWorkerPoolSize(2)
                    .setInternalBlockingPoolSize(2).setBlockedThreadCheckInterval(10_000));
            client = vertx.createHttpClient(clientOptions(), new PoolOptions().setHttp1MaxSize(connections));
            readClient = vertx.createHttpClient(clientOptions().setMaxChunkSize(64 * 1024),
                    new PoolOptions().setHttp1MaxSize(16));
            runCases();
        } finally {
            if (vertx != null) {
                try {
                    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    System.out.println("(client close: " + e + ")");
                }
            }
            if (server != null) {
                List<String> warnings = server.warnings(30);
                server.close();
                System.out.println();
                System.out.println("server: " + server.stopLine + (keep ? "; kept " + dir : "; " + dir + " deleted"));
                if (!warnings.isEmpty()) {
                    System.out.println("server WARN/ERROR output (first " + warnings.size() + " lines):");
                    warnings.forEach(l -> System.out.println("    " + l));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n(total %.0f s; load average at the end: %s)%n%n", (System.nanoTime() - start) / 1e9,
                loadAverage());
        printTables();
        watchdog.interrupt();
        System.exit(0); // RMI and Vert.x leave non-daemon threads behind
    }

    private static void parseArg(String arg) {
        if (arg.isEmpty()) {
            return;
        }
        String[] kv = arg.split("=", 2);
        switch (kv[0]) {
            case "quick" -> {
                warmupSeconds = 1.0;
                measureSeconds = 2.0;
                prewarmSeconds = 1.0;
                kibEvents = 100_000;
                logReadBytes = 256L << 20;
            }
            case "warmup" -> warmupSeconds = Double.parseDouble(kv[1]);
            case "measure" -> measureSeconds = Double.parseDouble(kv[1]);
            case "prewarm" -> prewarmSeconds = Double.parseDouble(kv[1]);
            case "connections" -> connections = Integer.parseInt(kv[1]);
            case "loops" -> clientLoops = Integer.parseInt(kv[1]);
            case "streams" -> streams = Integer.parseInt(kv[1]);
            case "batch" -> batch = Integer.parseInt(kv[1]);
            case "subscribers" -> subscribers = Integer.parseInt(kv[1]);
            case "rate", "rates" -> fanRates = Arrays.stream(kv[1].split(",")).map(Integer::valueOf).toList();
            case "kib" -> kibEvents = Integer.parseInt(kv[1]) / 1000 * 1000;
            case "log" -> logReadBytes = Long.parseLong(kv[1]) << 20;
            case "chunks" -> logChunksMiB = Arrays.stream(kv[1].split(",")).map(Integer::valueOf).toList();
            case "nojfr" -> jfr = false;
            case "keep" -> keep = true;
            case "heap" -> serverHeapMiB = Integer.parseInt(kv[1]);
            case "server" -> serverArgs.add(kv[1]);
            case "only" -> only = List.of(kv[1].split(","));
            case "dir" -> root = Paths.get(kv[1]);
            case "jar" -> jar = Paths.get(kv[1]);
            case "timeout" -> timeoutSeconds = Integer.parseInt(kv[1]);
            default -> throw new IllegalArgumentException("unknown argument: " + arg
                    + " (known: quick, warmup=S, measure=S, connections=N, loops=N, streams=N, batch=N, subscribers=N, rates=N,..."
                    + " kib=N, log=MiB, chunks=MiB,..., prewarm=S, nojfr, only=ID,PREFIX*,..., heap=MiB, server=ARG, jar=PATH, dir=PATH,"
                    + " keep, timeout=S)");
        }
    }

    /** True when case {@code id} (or, for an id ending in *, any case with that prefix) was asked for. */
    private static boolean selected(String id) {
        if (only.isEmpty()) {
            return true;
        }
        boolean prefix = id.endsWith("*");
        String p = prefix ? id.substring(0, id.length() - 1) : id;
        for (String o : only) {
            boolean oPrefix = o.endsWith("*");
            String q = oPrefix ? o.substring(0, o.length() - 1) : o;
            if (p.equals(q) || (oPrefix && p.startsWith(q)) || (prefix && q.startsWith(p))) {
                return true;
            }
        }
        return false;
    }

    private static HttpClientOptions clientOptions() {
        return new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port).setKeepAlive(true)
                .setPipelining(false).setTcpNoDelay(true).setConnectTimeout(5000);
    }

    // ---------------------------------------------------------------- cases

    interface Case {
        void run() throws Exception;
    }

    /** Runs a case; a failure is reported and the run goes on with the next one. */
    private static void attempt(String id, Case c) {
        try {
            c.run();
        } catch (Exception | AssertionError e) {
            String m = id + " FAILED: " + e;
            System.out.println(m);
            e.printStackTrace(System.out);
            oddities.add(m);
        }
    }

    private static void runCases() throws Exception {
        idleBaseline();
        if (prewarmSeconds > 0) {
            attempt("prewarm", HttpBenchmark::prewarm);
        }
        attempt("append-single", HttpBenchmark::appendSingle);
        attempt("append-batch", HttpBenchmark::appendBatch);
        attempt("health-live", HttpBenchmark::healthLive);
        for (int rate : fanRates) {
            if (selected("sse-fanout-" + rate)) {
                attempt("sse-fanout-" + rate, () -> sseFanout(rate));
            }
        }
        boolean zc = selected("zc-*") || selected("fill-1kib");
        boolean log = selected("log-*");
        boolean[] filled = {false};
        if (zc || log) {
            attempt("fill-1kib", () -> {
                fillKib();
                filled[0] = true;
            });
        }
        if (zc && filled[0]) {
            attempt("zero copy", HttpBenchmark::zeroCopyCases);
        }
        if (log && filled[0]) {
            attempt("log", HttpBenchmark::logCases);
        }
    }

    private static boolean appendedSingle;

    private static void appendSingle() throws Exception {
        if (selected("append-single")) {
            Buffer body = Buffer.buffer(event(json(128)));
            loadCase("append-single", "POST one event (128 B JSON data), " + grouped(streams) + " streams round-robin",
                    k -> post(client, streamUri("s-", k), body), 1, 201, true, body.length());
            appendedSingle = true;
            if (jfr) {
                profile("append-single", () -> timedLoad(k -> post(client, streamUri("s-", k), body), 1.0),
                        () -> timedLoad(k -> post(client, streamUri("s-", k), body), 3.0));
            }
        }
    }

    /** {@code connections} requests in flight for {@code seconds}: {calls, calls, 0}. */
    private static long[] timedLoad(HttpLoad.Request request, double seconds) throws Exception {
        Load load = new Load(vertx, request, connections, Long.MAX_VALUE, 201).start();
        Thread.sleep((long) (seconds * 1000));
        load.stopAndJoin(30);
        return new long[] {load.calls(), load.calls(), 0};
    }

    private static void appendBatch() throws Exception {
        if (selected("append-batch")) {
            Buffer body = Buffer.buffer(batchBody(json(128), batch));
            loadCase("append-batch", "POST arrays of " + batch + " events (128 B JSON data each), " + grouped(streams)
                    + " streams round-robin", k -> post(client, streamUri("b-", k), body), batch, 201, false, body.length());
        }
    }

    private static void healthLive() throws Exception {
        if (selected("health-live")) {
            loadCase("health-live", "GET /q/health/live: the ceiling for this client, server and machine",
                    k -> get(client, "/q/health/live", null), 1, 200, true, -1);
        }
        if (selected("route-404")) {
            loadCase("route-404", "GET /no-such-route (404 from the router, on the event loop): a lighter ceiling",
                    k -> get(client, "/no-such-route", null), 1, 404, true, -1);
        }
    }

    private static String streamUri(String prefix, long k) {
        return "/streams/" + prefix + (k % streams);
    }

    /** One event object with {@code data} as its data. */
    static byte[] event(byte[] data) {
        return ("{\"type\":\"" + TYPE + "\",\"data\":" + new String(data, StandardCharsets.UTF_8) + "}").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] batchBody(byte[] data, int n) {
        String one = new String(event(data), StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append(one);
        }
        return sb.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** 128 bytes of JSON data ending in {@code "sent":<19 digits>}: 10^18 + when the append was sent. */
    static byte[] fanData(long sent) {
        String tail = String.format(Locale.ROOT, "\",\"sent\":%d}", SseParser.SENT_BASE + sent);
        String head = "{\"pad\":\"";
        return (head + "x".repeat(128 - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }

    private static void idleBaseline() throws Exception {
        Probe p = new Probe();
        Thread.sleep(1000);
        p.finish();
        long alloc = p.serverAlloc();
        System.out.printf(Locale.ROOT, "server idle for %.1f s: %s B/s allocated (%s); %s%n%n", p.wallNanos / 1e9,
                grouped(alloc * 1e9 / p.wallNanos), p.allocGroups(3, p.wallNanos / 1e9, "B/s"), p.cpuSummary());
        idleAllocPerSecond = alloc * 1e9 / p.wallNanos;
    }

    private static double idleAllocPerSecond;

    /** JIT warm-up of both JVMs before the first case: appends (single and batches) and health probes, not measured. */
    private static void prewarm() throws Exception {
        long t0 = System.nanoTime();
        Probe p = new Probe();
        Buffer one = Buffer.buffer(event(json(128)));
        Buffer many = Buffer.buffer(batchBody(json(128), batch));
        Load a = new Load(vertx, k -> post(client, streamUri("w-", k), one), connections / 2, Long.MAX_VALUE, 201).start();
        Load b = new Load(vertx, k -> post(client, streamUri("w-", k), many), 4, Long.MAX_VALUE, 201).start();
        Load c = new Load(vertx, k -> get(client, "/q/health/live", null), 8, Long.MAX_VALUE, 200).start();
        Thread.sleep((long) (prewarmSeconds * 1000));
        a.stopAndJoin(30);
        b.stopAndJoin(30);
        c.stopAndJoin(30);
        p.finish();
        System.out.printf(Locale.ROOT, "prewarm %.1f s (not measured): %s single appends, %s batches, %s health probes%s; %s%n%n",
                (System.nanoTime() - t0) / 1e9, grouped(a.calls()), grouped(b.calls()), grouped(c.calls()),
                a.errorSummary().isEmpty() && b.errorSummary().isEmpty() && c.errorSummary().isEmpty() ? ""
                        : "; " + a.errorSummary() + " " + b.errorSummary() + " " + c.errorSummary(), p.cpuSummary());
    }

    // ---------------------------------------------------------------- closed-loop cases

    private static void loadCase(String id, String title, HttpLoad.Request request, int eventsPerCall, int expect,
                                 boolean p999, int bodyBytes) throws Exception {
        Result r = new Result(id, title + "; " + connections + " in flight");
        r.bytesPerEvent = bodyBytes < 0 ? -1 : bodyBytes / (double) eventsPerCall;
        Load load = new Load(vertx, request, connections, Long.MAX_VALUE, expect).start();
        Window w = new Window(load::calls).run(() -> load.latency.on = true, () -> load.latency.on = false);
        long stopT = System.nanoTime();
        load.stopAndJoin(30);
        r.calls = w.delta(0);
        r.events = r.calls * eventsPerCall;
        r.nanos = w.nanos();
        r.latency = load.latency.summary(p999);
        r.latencyUnit = "request";
        r.probe = w.probe;
        r.allocPerEvent = w.probe.serverAlloc() / (double) Math.max(1, r.events);
        r.best = w.best * eventsPerCall;
        r.worst = w.worst * eventsPerCall;
        r.notes.add(String.format(Locale.ROOT, "drain %.0f ms", (System.nanoTime() - stopT) / 1e6));
        if (!load.errorSummary().isEmpty()) {
            r.notes.add(load.errorSummary());
            oddities.add(id + ": " + load.errorSummary());
        }
        report(r);
    }

    /** The measured window: waits out the warm-up, samples a counter every 100 ms for the measured time. */
    static final class Window {
        final LongSupplier[] counters;
        long[] c0;
        long[] c1;
        long t0;
        long t1;
        double best;
        double worst = Double.MAX_VALUE;
        Probe probe;

        Window(LongSupplier... counters) {
            this.counters = counters;
        }

        Window run(Runnable atStart, Runnable atEnd) throws Exception {
            Thread.sleep((long) (warmupSeconds * 1000));
            probe = new Probe();
            if (atStart != null) {
                atStart.run();
            }
            c0 = sample();
            t0 = System.nanoTime();
            long end = t0 + (long) (measureSeconds * 1e9);
            long subT = t0;
            long subN = c0[0];
            while (true) {
                long now = System.nanoTime();
                long next = Math.min(end, subT + WINDOW);
                if (now < next) {
                    Thread.sleep(Math.max(1, (next - now) / 1_000_000));
                    continue;
                }
                long n = counters[0].getAsLong();
                if (now - subT >= WINDOW / 2) {
                    double rate = (n - subN) * 1e9 / (now - subT);
                    best = Math.max(best, rate);
                    worst = Math.min(worst, rate);
                    subT = now;
                    subN = n;
                }
                if (now >= end) {
                    break;
                }
            }
            c1 = sample();
            t1 = System.nanoTime();
            if (atEnd != null) {
                atEnd.run();
            }
            probe.finish();
            if (worst == Double.MAX_VALUE) {
                worst = 0;
            }
            return this;
        }

        private long[] sample() {
            long[] v = new long[counters.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = counters[i].getAsLong();
            }
            return v;
        }

        long delta(int i) {
            return c1[i] - c0[i];
        }

        long nanos() {
            return t1 - t0;
        }
    }

    // ---------------------------------------------------------------- SSE fan-out

    private static void sseFanout(int fanRate) throws Exception {
        String stream = "fan-" + fanRate;
        Reply first = await(post(client, "/streams/" + stream, Buffer.buffer(event(fanData(0)))), 10);
        if (first.status() != 201) {
            throw new IllegalStateException("append to " + stream + ": " + first.status() + " " + first.body());
        }
        HttpClient sseClient = vertx.createHttpClient(clientOptions().setMaxChunkSize(64 * 1024),
                new PoolOptions().setHttp1MaxSize(subscribers + 8));
        Latency delivery = new Latency();
        LongAdder delivered = new LongAdder();
        AtomicInteger connected = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> failure = new AtomicReference<>();
        List<SseParser> subs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < subscribers; i++) {
            SseParser p = new SseParser(ORIGIN, delivery, delivered);
            p.onConnected = connected::incrementAndGet;
            subs.add(p);
            openSse(sseClient, "/streams/" + stream + "?from=end", p).onFailure(e -> {
                failed.incrementAndGet();
                failure.compareAndSet(null, e.toString());
            });
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (connected.get() + failed.get() < subscribers && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        long connectNanos = System.nanoTime() - t0;
        if (connected.get() < subscribers) {
            sseClient.close();
            throw new IllegalStateException("only " + connected.get() + " of " + subscribers + " SSE subscribers connected within 30 s"
                    + (failure.get() == null ? "" : ": " + failure.get()));
        }
        Thread.sleep(200); // let every subscription reach the stream's end before the first append

        // Appends at a fixed rate, paced by a 1 ms timer on a client event loop.
        Latency appendLatency = new Latency();
        LongAdder appended = new LongAdder();
        LongAdder appendErrors = new LongAdder();
        AtomicInteger inflight = new AtomicInteger();
        AtomicLong sent = new AtomicLong();
        AtomicLong dropped = new AtomicLong();
        long pacerStart = System.nanoTime();
        long timer = vertx.setPeriodic(1, id -> {
            long due = (long) ((System.nanoTime() - pacerStart) * (fanRate / 1e9));
            while (sent.get() < due) {
                if (inflight.get() >= 256) {
                    // The server is behind: drop what is due rather than queue it without bound.
                    dropped.addAndGet(due - sent.get());
                    sent.set(due);
                    break;
                }
                sent.incrementAndGet();
                inflight.incrementAndGet();
                long ts = System.nanoTime();
                post(client, "/streams/" + stream, Buffer.buffer(event(fanData(ts - ORIGIN)))).onComplete(ar -> {
                    inflight.decrementAndGet();
                    if (ar.succeeded() && ar.result().status() == 201) {
                        appended.increment();
                        appendLatency.record(System.nanoTime() - ts);
                    } else {
                        appendErrors.increment();
                    }
                });
            }
        });
        Result r = new Result("sse-fanout-" + fanRate, grouped(subscribers) + " SSE subscribers on one stream (from=end) while single"
                + " appends to it run at " + grouped(fanRate) + "/s; events delivered in total");
        Window w;
        try {
            w = new Window(delivered::sum, appended::sum).run(() -> {
                delivery.on = true;
                appendLatency.on = true;
            }, () -> {
                delivery.on = false;
                appendLatency.on = false;
            });
        } finally {
            vertx.cancelTimer(timer);
        }
        long stopT = System.nanoTime();
        while (inflight.get() > 0 && System.nanoTime() - stopT < 10_000_000_000L) {
            Thread.sleep(5);
        }
        long total = appended.sum();
        long expected = total * subscribers;
        long catchUpDeadline = System.nanoTime() + 20_000_000_000L;
        while (delivered.sum() < expected && System.nanoTime() < catchUpDeadline) {
            Thread.sleep(5);
        }
        long caughtUp = System.nanoTime() - stopT;
        Thread.sleep(50);
        long gaps = 0;
        long errors = 0;
        long behind = 0;
        for (SseParser p : subs) {
            gaps += p.gaps;
            errors += p.errors;
            if (p.frames < total) {
                behind++;
            }
        }
        r.events = w.delta(0);
        r.calls = w.delta(1);
        r.nanos = w.nanos();
        r.latency = delivery.summary(true);
        r.latencyUnit = "delivery";
        r.probe = w.probe;
        r.allocPerEvent = w.probe.serverAlloc() / (double) Math.max(1, r.events);
        r.best = w.best;
        r.worst = w.worst;
        double offered = w.delta(1) * (double) subscribers * 1e9 / w.nanos();
        r.notes.add(String.format(Locale.ROOT, "%s appends/s acknowledged (append latency p50/p99 %s ms), %s deliveries/s offered",
                grouped(w.delta(1) * 1e9 / w.nanos()), appendLatency.summary(false), grouped(offered)));
        long lag = w.c1[1] * subscribers - w.c1[0];
        r.notes.add("lag at the end of the window " + grouped(Math.max(0, lag)) + " deliveries");
        r.notes.add(String.format(Locale.ROOT, "%d subscribers connected in %.0f ms", subscribers, connectNanos / 1e6));
        r.notes.add(delivered.sum() >= expected
                ? String.format(Locale.ROOT, "all %s x %s delivered %.0f ms after the appends stopped", grouped(total), grouped(subscribers), caughtUp / 1e6)
                : "NOT CAUGHT UP 20 s after the stop: " + grouped(delivered.sum()) + " of " + grouped(expected) + " delivered, "
                + behind + " subscribers behind");
        if (dropped.get() > 0) {
            r.notes.add(grouped(dropped.get()) + " appends not sent: 256 were outstanding when they were due");
        }
        if (gaps > 0 || errors > 0 || appendErrors.sum() > 0) {
            String odd = "version gaps " + gaps + ", error frames " + errors + ", append errors " + appendErrors.sum();
            r.notes.add(odd);
            oddities.add(r.id + ": " + odd);
        }
        report(r);
        sseClient.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Opens an SSE response feeding {@code parser}; completes when the response head arrived (fails on a non-200). */
    private static Future<HttpClientResponse> openSse(HttpClient c, String uri, SseParser parser) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setURI(uri).putHeader("Accept", "text/event-stream");
        return onLoop(() -> c.request(o).compose(req -> req.send()).compose(resp -> {
            if (resp.statusCode() != 200) {
                return resp.body().compose(b -> Future.failedFuture("SSE answered " + resp.statusCode() + ": " + b));
            }
            resp.handler(parser::feed);
            return Future.succeededFuture(resp);
        }));
    }

    // ---------------------------------------------------------------- 1 KiB data set

    private static final String KIB = "kib";

    private static void fillKib() throws Exception {
        byte[] data = json(1024);
        Buffer body = Buffer.buffer(batchBody(data, 100));
        Result r = new Result("fill-1kib", grouped(kibEvents) + " events of 1 KiB JSON data to one stream, POST arrays of 100;"
                + " 8 in flight");
        Probe p = new Probe();
        long t0 = System.nanoTime();
        Load load = new Load(vertx, k -> post(client, "/streams/" + KIB, body), 8, kibEvents / 100, 201).start();
        load.join(120);
        r.nanos = System.nanoTime() - t0;
        p.finish();
        r.calls = load.calls();
        r.events = r.calls * 100;
        r.probe = p;
        r.allocPerEvent = p.serverAlloc() / (double) Math.max(1, r.events);
        r.bytesPerEvent = body.length() / 100.0;
        if (!load.errorSummary().isEmpty()) {
            throw new IllegalStateException("fill failed: " + load.errorSummary());
        }
        report(r);
    }

    /** The log position of the next append (about the log's length), from an append to a side stream. */
    private static long logEnd() throws Exception {
        Reply rep = await(post(client, "/streams/probe", Buffer.buffer(event("{}".getBytes(StandardCharsets.UTF_8)))), 10);
        return new JsonObject(rep.body()).getLong("position");
    }

    // ---------------------------------------------------------------- zero copy

    /** One zero-copy measurement: heap bytes the server allocated per event served. */
    static final class ZeroCopy {
        final String id;
        final String title;
        long events;
        long requests;
        long wireBytes;
        long nanos;
        Probe probe;
        final List<String> notes = new ArrayList<>();

        ZeroCopy(String id, String title) {
            this.id = id;
            this.title = title;
        }

        double per(double v) {
            return v / Math.max(1, events);
        }

        double total() {
            return per(probe.serverAlloc());
        }

        double group(String g) {
            long[] d = probe.groups.get(g);
            return d == null ? 0 : per(d[1]);
        }

        double others() {
            return total() - group(EVENT_LOOPS) - group(READ_THREADS);
        }
    }

    interface Pass {
        /** Runs one pass; returns {events, requests, wire bytes}. */
        long[] run() throws Exception;
    }

    private static void zeroCopyCases() throws Exception {
        // The JSON page answer is checked once: the right number of events, the right data size.
        Reply check = await(get(readClient, "/streams/" + KIB + "?from=0&limit=1000", "application/json"), 10);
        JsonObject page = new JsonObject(check.body());
        int n = page.getJsonArray("events").size();
        int dataLen = page.getJsonArray("events").getJsonObject(0).getJsonObject("data").encode().length();
        if (n != 1000 || dataLen != 1024) {
            oddities.add("JSON page check: " + n + " events (expected 1000), data " + dataLen + " B (expected 1024)");
        }

        long binEvents = Math.max(3L * kibEvents, 300_000) / 1000 * 1000;
        zcCase("zc-binary-1000", "binary pages of 1,000 (Accept: application/octet-stream), 4 in flight",
                () -> pagePass("application/octet-stream", 1000, kibEvents, 4), () -> pagePass("application/octet-stream", 1000, binEvents, 4));
        zcCase("zc-binary-100", "binary pages of 100, 4 in flight",
                () -> pagePass("application/octet-stream", 100, kibEvents / 2, 4), () -> pagePass("application/octet-stream", 100, kibEvents * 2L, 4));
        if (appendedSingle) {
            // The worst case for runs: every event of these streams lies between other streams' events.
            zcCase("zc-binary-interleaved", "binary pages of up to 1,000: each of the 1,000 streams of append-single whole"
                            + " (128 B data, every record a run of its own), 4 in flight",
                    () -> pagePass("application/octet-stream", 1000, streams, 4, k -> "/streams/s-" + (k % streams) + "?limit=1000", false),
                    () -> pagePass("application/octet-stream", 1000, 3L * streams, 4, k -> "/streams/s-" + (k % streams) + "?limit=1000", false));
        }
        zcCase("zc-sse", "SSE: one subscriber catching up the stream from 0 (" + grouped(kibEvents) + " events)",
                () -> ssePass(kibEvents / 3), () -> ssePass(kibEvents));
        zcCase("zc-json-1000", "JSON pages of 1,000 (Accept: application/json), 4 in flight, for comparison",
                () -> pagePass("application/json", 1000, kibEvents / 2, 4), () -> pagePass("application/json", 1000, kibEvents, 4));
        zcCase("zc-ndjson-1000", "NDJSON pages of 1,000 (Accept: application/x-ndjson), 4 in flight, for comparison",
                () -> pagePass("application/x-ndjson", 1000, kibEvents / 2, 4), () -> pagePass("application/x-ndjson", 1000, kibEvents, 4));

        if (jfr) {
            if (appendedSingle) {
                profile("zc-binary-interleaved",
                        () -> pagePass("application/octet-stream", 1000, streams, 4, k -> "/streams/s-" + (k % streams) + "?limit=1000", false),
                        () -> pagePass("application/octet-stream", 1000, 2L * streams, 4, k -> "/streams/s-" + (k % streams) + "?limit=1000", false));
            }
            profile("zc-sse", () -> ssePass(kibEvents / 4), () -> ssePass(kibEvents));
            profile("zc-json-1000", () -> pagePass("application/json", 1000, kibEvents / 4, 4), () -> pagePass("application/json", 1000, kibEvents, 4));
        }
    }

    private static void zcCase(String id, String title, Pass warm, Pass measured) throws Exception {
        if (!selected(id)) {
            return;
        }
        warm.run();
        ZeroCopy z = new ZeroCopy(id, title);
        Probe p = new Probe();
        long t0 = System.nanoTime();
        long[] got = measured.run();
        z.nanos = System.nanoTime() - t0;
        p.finish();
        z.probe = p;
        z.events = got[0];
        z.requests = got[1];
        z.wireBytes = got[2];
        double idleShare = idleAllocPerSecond * z.nanos / 1e9 / Math.max(1, z.events);
        z.notes.add(String.format(Locale.ROOT, "%s events/s, %.0f MB/s on the wire, %s requests (%s events each); idle"
                + " background would be %.1f B/event", grouped(z.events * 1e9 / z.nanos), z.wireBytes * 1e3 / z.nanos,
                grouped(z.requests), grouped(z.events / (double) Math.max(1, z.requests)), idleShare));
        zeroCopy.add(z);
        System.out.printf(Locale.ROOT, "%-22s %10s events  %8.0f B/event in the server (event loops %.0f, read threads %.0f,"
                        + " other %.0f; %s B/request)  (%s; %s)%n", id, grouped(z.events), z.total(), z.group(EVENT_LOOPS),
                z.group(READ_THREADS), z.others(), grouped(p.serverAlloc() / (double) Math.max(1, z.requests)),
                String.join("; ", z.notes), p.cpuSummary());
    }

    /** Pages of {@code page} events over the 1 KiB stream (wrapping), {@code events} in total, {@code lanes} in flight. */
    private static long[] pagePass(String accept, int page, long events, int lanes) throws Exception {
        long pages = kibEvents / page;
        return pagePass(accept, page, events / page, lanes, k -> "/streams/" + KIB + "?from=" + (k % pages) * page + "&limit=" + page, true);
    }

    /**
     * {@code requests} pages of up to {@code page} events, request {@code k} at {@code uri(k)}, {@code lanes} in
     * flight; binary pages are parsed and checked ({@code exact}: each must hold {@code page} events).
     * Returns {events, requests, wire bytes}.
     */
    private static long[] pagePass(String accept, int page, long requests, int lanes, java.util.function.LongFunction<String> uriOf,
                                   boolean exact) throws Exception {
        LongAdder wire = new LongAdder();
        LongAdder served = new LongAdder();
        boolean binary = accept.equals("application/octet-stream");
        AtomicReference<String> bad = new AtomicReference<>();
        Load load = new Load(vertx, k -> {
            String uri = uriOf.apply(k);
            BinaryParser parser = new BinaryParser();
            long[] bytes = new long[1];
            return streamed(readClient, uri, accept, binary ? parser::feed : b -> bytes[0] += b.length()).map(status -> {
                if (status != 200) {
                    return new Reply(status, null);
                }
                if (binary) {
                    wire.add(parser.bytes);
                    served.add(parser.events);
                    if ((exact ? parser.events != page : parser.events == 0) || !parser.complete() || parser.bad != 0) {
                        bad.compareAndSet(null, uri + ": " + parser.events + " records, complete " + parser.complete() + ", bad " + parser.bad);
                        return new Reply(598, null);
                    }
                } else {
                    wire.add(bytes[0]);
                    served.add(page);
                }
                return new Reply(200, null);
            });
        }, lanes, requests, 200).start();
        load.join(120);
        if (!load.errorSummary().isEmpty() || bad.get() != null) {
            oddities.add(accept + " pages of " + page + ": " + load.errorSummary() + (bad.get() == null ? "" : " " + bad.get()));
        }
        return new long[] {served.sum(), load.calls(), wire.sum()};
    }

    /** One SSE subscriber from version 0 of the 1 KiB stream, closed after {@code frames} events. */
    private static long[] ssePass(long frames) throws Exception {
        Promise<Void> done = Promise.promise();
        LongAdder wire = new LongAdder();
        SseParser parser = new SseParser(-1, null, null);
        AtomicReference<HttpClientResponse> response = new AtomicReference<>();
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setURI("/streams/" + KIB + "?from=0")
                .putHeader("Accept", "text/event-stream");
        // The handlers are set in the callback that gets the response, on its event loop: set later
        // (from this thread), the first chunks would already have been dropped.
        onLoop(() -> readClient.request(o).compose(req -> req.send()).map(resp -> {
            if (resp.statusCode() != 200) {
                throw new IllegalStateException("SSE answered " + resp.statusCode());
            }
            response.set(resp);
            resp.handler(b -> {
                wire.add(b.length());
                parser.feed(b);
                if (parser.frames >= frames) {
                    done.tryComplete();
                }
            });
            resp.exceptionHandler(e -> done.tryFail(e));
            resp.endHandler(v -> done.tryFail("the SSE response ended after " + parser.frames + " events"));
            return resp;
        })).onFailure(done::tryFail);
        try {
            done.future().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        } finally {
            HttpClientResponse resp = response.get();
            if (resp != null) {
                resp.request().connection().close();
            }
        }
        if (parser.gaps != 0 || parser.errors != 0 || parser.lastId != parser.frames - 1) {
            oddities.add("SSE catch-up: " + parser.frames + " frames, last id " + parser.lastId + ", gaps " + parser.gaps
                    + ", error frames " + parser.errors);
        }
        return new long[] {parser.frames, 1, wire.sum()};
    }

    /**
     * A JFR profile of one more pass of a case: allocation samples (and execution samples) in the
     * server, recorded over a warm-up pass and the pass, counted from the pass's start only.
     */
    private static void profile(String id, Pass warm, Pass pass) throws Exception {
        if (!selected(id)) {
            return;
        }
        long rec = server.startAllocationRecording();
        warm.run();
        java.time.Instant from = java.time.Instant.now();
        long[] got = pass.run();
        HttpBenchServer.AllocProfile p = server.stopAllocationRecording(rec, id, from);
        double events = Math.max(1, got[0]);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "JFR profile, %s: %s events; allocation: %s samples, %.0f B/event sampled"
                + " (server threads but JMX/RMI/JFR); by thread:", id, grouped(got[0]), grouped(p.samples), p.weight / events));
        top(p.byGroup, 4).forEach(e -> sb.append(String.format(Locale.ROOT, " %s %.0f", e.getKey(), e.getValue() / events)));
        sb.append("\n  allocated, by class (B/event):");
        top(p.byClass, 10).forEach(e -> sb.append(String.format(Locale.ROOT, "%n    %7.1f  %s", e.getValue() / events, e.getKey())));
        sb.append("\n  allocated, by site: the allocating frame outside the JDK (the JDK frame under it) (B/event):");
        top(p.bySite, 14).forEach(e -> sb.append(String.format(Locale.ROOT, "%n    %7.1f  %s", e.getValue() / events, e.getKey())));
        sb.append("\n  allocated, by nearest Strand frame (B/event):");
        top(p.byPath, 8).forEach(e -> sb.append(String.format(Locale.ROOT, "%n    %7.1f  %s", e.getValue() / events, e.getKey())));
        sb.append(String.format(Locale.ROOT, "%n  CPU: %s execution samples (Java code only, every 5 ms per thread); by thread:", grouped(p.cpuSamples)));
        top(p.hotGroup, 4).forEach(e -> sb.append(String.format(Locale.ROOT, " %s %.0f%%", e.getKey(), 100.0 * e.getValue() / Math.max(1, p.cpuSamples))));
        sb.append("\n  CPU, top frames:");
        top(p.hot, 10).forEach(e -> sb.append(String.format(Locale.ROOT, "%n    %5.1f%%  %s", 100.0 * e.getValue() / Math.max(1, p.cpuSamples), e.getKey())));
        sb.append("\n  CPU, by nearest Strand frame:");
        top(p.hotPath, 8).forEach(e -> sb.append(String.format(Locale.ROOT, "%n    %5.1f%%  %s", 100.0 * e.getValue() / Math.max(1, p.cpuSamples), e.getKey())));
        profiles.add(sb.toString());
        System.out.println(sb);
    }

    private static List<Map.Entry<String, Long>> top(Map<String, Long> m, int n) {
        return m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n).toList();
    }

    // ---------------------------------------------------------------- /log

    private static void logCases() throws Exception {
        long end = logEnd();
        if (end < logReadBytes) {
            // Top the log up with 1 KiB events so a pass reads logReadBytes.
            byte[] data = json(1024);
            Buffer body = Buffer.buffer(batchBody(data, 100));
            long batches = (logReadBytes - end) / (1100 * 100) + 2;
            long t0 = System.nanoTime();
            Load load = new Load(vertx, k -> post(client, "/streams/filler", body), 8, batches, 201).start();
            load.join(120);
            System.out.printf(Locale.ROOT, "  (log topped up from %d MiB with %s events of 1 KiB in %.1f s%s)%n", end >> 20,
                    grouped(load.calls() * 100), (System.nanoTime() - t0) / 1e9,
                    load.errorSummary().isEmpty() ? "" : "; " + load.errorSummary());
            end = logEnd();
        }
        long read = Math.min(logReadBytes, end);
        // Unmeasured: both ways send the same bytes.
        long[] a = logPass(false, logChunksMiB.get(0) << 20, read, true);
        long[] b = logPass(true, logChunksMiB.get(0) << 20, read, true);
        String same = a[0] == b[0] && a[3] == b[3] ? "same bytes by both (CRC32C " + Long.toHexString(a[3]) + ")"
                : "MISMATCH: sendfile " + a[0] + " B crc " + Long.toHexString(a[3]) + ", mmap " + b[0] + " B crc " + Long.toHexString(b[3]);
        if (!same.startsWith("same")) {
            oddities.add("/log: " + same);
        }
        for (int chunk : logChunksMiB) {
            for (String via : List.of("sendfile", "mmap")) {
                String id = "log-" + via + "-" + chunk + "m";
                if (!selected(id)) {
                    continue;
                }
                Result r = new Result(id, "GET /log" + (via.equals("mmap") ? "?via=mmap" : "") + ", chunks of " + chunk
                        + " MiB, the first " + (read >> 20) + " MiB of the log, sequential");
                Probe p = new Probe();
                long[] got = logPass(via.equals("mmap"), chunk << 20, read, false);
                p.finish();
                r.nanos = got[2];
                r.calls = got[1];
                r.wireBytes = got[0];
                r.probe = p;
                r.allocPerMiB = p.serverAlloc() / (got[0] / 1048576.0);
                r.notes.add(same);
                report(r);
            }
        }
    }

    /** Reads {@code max} bytes of the log from its start: {bytes, requests, nanos, crc32c or 0}. */
    @SuppressWarnings("deprecation") // Buffer.getByteBuf: a view, no copy
    private static long[] logPass(boolean mmap, int chunk, long max, boolean crc) throws Exception {
        long from = 0;
        long bytes = 0;
        long requests = 0;
        CRC32C crc32c = new CRC32C();
        long t0 = System.nanoTime();
        while (bytes < max) {
            String uri = "/log?from=" + from + "&maxBytes=" + (int) Math.min(chunk, max - bytes) + (mmap ? "&via=mmap" : "");
            long[] got = new long[1];
            AtomicReference<String> next = new AtomicReference<>();
            RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setURI(uri);
            Future<Integer> f = onLoop(() -> readClient.request(o).compose(req -> req.send()).compose(resp -> {
                next.set(resp.getHeader("Strand-Next"));
                resp.handler(b -> {
                    got[0] += b.length();
                    if (crc) {
                        synchronized (crc32c) {
                            crc32c.update(b.getByteBuf().nioBuffer());
                        }
                    }
                });
                return resp.end().map(v -> resp.statusCode());
            }));
            int status = await(f, 30);
            requests++;
            if (status != 200 || next.get() == null) {
                throw new IllegalStateException(uri + " answered " + status + ", Strand-Next " + next.get());
            }
            if (got[0] == 0) {
                break;
            }
            bytes += got[0];
            from = Long.parseLong(next.get());
        }
        long nanos = System.nanoTime() - t0;
        synchronized (crc32c) {
            return new long[] {bytes, requests, nanos, crc ? crc32c.getValue() : 0};
        }
    }

    // ---------------------------------------------------------------- requests

    /**
     * Runs {@code work} on a client event loop: at once when called on one, else on a new context.
     * Requests are only ever sent from an event loop, so that their answers are handled there.
     */
    static <T> Future<T> onLoop(java.util.function.Supplier<Future<T>> work) {
        if (Vertx.currentContext() != null) {
            return work.get();
        }
        Promise<T> p = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> work.get().onComplete(p));
        return p.future();
    }

    static Future<Reply> post(HttpClient c, String uri, Buffer body) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setURI(uri).putHeader("Content-Type", "application/json");
        return onLoop(() -> c.request(o).compose(req -> req.send(body)).compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b))));
    }

    static Future<Reply> get(HttpClient c, String uri, String accept) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setURI(uri);
        if (accept != null) {
            o.putHeader("Accept", accept);
        }
        return onLoop(() -> c.request(o).compose(req -> req.send()).compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b))));
    }

    /** A GET whose 200 body goes to {@code sink} chunk by chunk; completes with the status once it all arrived. */
    static Future<Integer> streamed(HttpClient c, String uri, String accept, Handler<Buffer> sink) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setURI(uri).putHeader("Accept", accept);
        return onLoop(() -> c.request(o).compose(req -> req.send()).compose(resp -> {
            if (resp.statusCode() != 200) {
                return resp.body().map(b -> resp.statusCode());
            }
            resp.handler(sink);
            return resp.end().map(v -> 200);
        }));
    }

    static <T> T await(Future<T> f, long seconds) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- measuring

    /**
     * CPU of the server, this client, the kernel's network softirq work and other processes, and the
     * server's per-thread-group CPU and allocated bytes (JMX), over a stretch of time.
     */
    static final class Probe {
        final long[] ticks0 = ticks(server.pid());
        final Map<Long, TaskTicks> tasks0 = taskTicks(server.pid());
        final HttpBenchServer.Snapshot s0 = server.snapshot();
        final long gc0 = serverGcMillis();
        final long wall0 = System.nanoTime();
        long wallNanos;
        double serverCpus;
        double clientCpus;
        double netCpus;
        double foreign;
        long gcMillis;
        Map<String, long[]> groups = Map.of();
        /** Server CPU per OS thread group (comm without its number: JIT and GC threads too), in ticks. */
        final Map<String, Long> taskGroups = new HashMap<>();
        double tickNanos;

        Probe finish() {
            wallNanos = System.nanoTime() - wall0;
            HttpBenchServer.Snapshot s1 = server.snapshot();
            long[] t1 = ticks(server.pid());
            Map<Long, TaskTicks> tasks1 = taskTicks(server.pid());
            long tasksSum = 0;
            for (Map.Entry<Long, TaskTicks> e : tasks1.entrySet()) {
                TaskTicks before = tasks0.get(e.getKey());
                long d = e.getValue().ticks() - (before == null ? 0 : before.ticks());
                tasksSum += d;
                if (d > 0) {
                    taskGroups.merge(e.getValue().group(), d, Long::sum);
                }
            }
            long exited = (t1[4] - ticks0[4]) - tasksSum;
            if (exited > 0) {
                taskGroups.put("(threads that ended)", exited);
            }
            gcMillis = serverGcMillis() - gc0;
            groups = server.delta(s0, s1);
            double wallTicks = (t1[2] - ticks0[2]) / (double) Runtime.getRuntime().availableProcessors();
            if (wallTicks > 0) {
                double own = t1[3] - ticks0[3];
                double child = t1[4] - ticks0[4];
                double ksoftirqd = t1[5] - ticks0[5];
                clientCpus = own / wallTicks;
                tickNanos = wallNanos / wallTicks;
                serverCpus = child / wallTicks;
                netCpus = ((t1[1] - ticks0[1]) + ksoftirqd) / wallTicks;
                foreign = Math.max(0, (t1[0] - ticks0[0]) - own - child - ksoftirqd) / wallTicks;
            }
            return this;
        }

        /** Bytes allocated by the server's threads, the measurement's own (JMX, RMI, JFR) left out. */
        long serverAlloc() {
            long s = 0;
            for (Map.Entry<String, long[]> e : groups.entrySet()) {
                if (!HttpBenchServer.measurementThread(e.getKey())) {
                    s += e.getValue()[1];
                }
            }
            return s;
        }

        String allocGroups(int n, double per, String unit) {
            StringBuilder sb = new StringBuilder();
            groups.entrySet().stream().filter(e -> !HttpBenchServer.measurementThread(e.getKey()) && e.getValue()[1] > 0)
                    .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).limit(n)
                    .forEach(e -> sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                            .append(grouped(e.getValue()[1] / per)).append(' ').append(unit));
            return sb.toString();
        }

        String cpuSummary() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "CPUs: server %.2f, client %.2f, net softirq %.2f,"
                    + " others %.2f; server gc %d ms; server threads:", serverCpus, clientCpus, netCpus, foreign, gcMillis));
            taskGroups.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                    .forEach(e -> sb.append(String.format(Locale.ROOT, " %s %.0f%%", e.getKey(), 100.0 * e.getValue() * tickNanos / wallNanos)));
            return sb.toString();
        }

        boolean disturbed() {
            return foreign > 0.15;
        }
    }

    private static final List<javax.management.ObjectName> GC_BEANS = new ArrayList<>();

    static long serverGcMillis() {
        try {
            var mbeans = serverMBeans();
            if (GC_BEANS.isEmpty()) {
                GC_BEANS.addAll(mbeans.queryNames(new javax.management.ObjectName(
                        java.lang.management.ManagementFactory.GARBAGE_COLLECTOR_MXBEAN_DOMAIN_TYPE + ",*"), null));
            }
            long t = 0;
            for (var n : GC_BEANS) {
                t += Math.max(0, (Long) mbeans.getAttribute(n, "CollectionTime"));
            }
            return t;
        } catch (Exception e) {
            return -1;
        }
    }

    private static javax.management.MBeanServerConnection serverMBeans() throws IOException {
        return server.mbeans();
    }

    private static long[] ksoftirqd;

    /** {user+nice+system ticks, irq+softirq ticks, total ticks, this process, the server, ksoftirqd threads}. */
    static long[] ticks(long serverPid) {
        try {
            String[] f = Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
            long user = Long.parseLong(f[1]);
            long nice = Long.parseLong(f[2]);
            long system = Long.parseLong(f[3]);
            long idle = Long.parseLong(f[4]);
            long iowait = Long.parseLong(f[5]);
            long irq = Long.parseLong(f[6]);
            long softirq = Long.parseLong(f[7]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            if (ksoftirqd == null) {
                List<Long> pids = new ArrayList<>();
                try (var dirs = Files.list(Paths.get("/proc"))) {
                    for (Path d : dirs.toList()) {
                        String name = d.getFileName().toString();
                        if (name.chars().allMatch(Character::isDigit)) {
                            try {
                                if (Files.readString(d.resolve("comm")).startsWith("ksoftirqd/")) {
                                    pids.add(Long.parseLong(name));
                                }
                            } catch (IOException ignored) {
                                // gone
                            }
                        }
                    }
                }
                ksoftirqd = pids.stream().mapToLong(Long::longValue).toArray();
            }
            long soft = 0;
            for (long pid : ksoftirqd) {
                soft += processTicks(Paths.get("/proc/" + pid + "/stat"));
            }
            return new long[] {user + nice + system, irq + softirq, user + nice + system + idle + iowait + irq + softirq + steal,
                    processTicks(Paths.get("/proc/self/stat")), processTicks(Paths.get("/proc/" + serverPid + "/stat")), soft};
        } catch (IOException | RuntimeException e) {
            return new long[6];
        }
    }

    /** A live thread's group (its OS name, comm, without a trailing number) and CPU ticks. */
    record TaskTicks(String group, long ticks) {
    }

    /**
     * CPU ticks of a process's live threads by thread id, with their OS name (15 characters) without
     * a trailing number as group: "vert.x-eventloo", "strand-read-*", "C2 CompilerThre", "G1 Conc#*".
     */
    static Map<Long, TaskTicks> taskTicks(long pid) {
        Map<Long, TaskTicks> m = new HashMap<>();
        try (var tasks = Files.list(Paths.get("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String st = Files.readString(t.resolve("stat"));
                    String comm = st.substring(st.indexOf('(') + 1, st.lastIndexOf(')'));
                    String[] g = st.substring(st.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(g[11]) + Long.parseLong(g[12]);
                    m.put(Long.parseLong(t.getFileName().toString()), new TaskTicks(comm.replaceAll("\\d+$", "*"), ticks));
                } catch (IOException | RuntimeException ignored) {
                    // the thread ended
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: no per-thread CPU
        }
        return m;
    }

    private static long processTicks(Path stat) {
        try {
            String s = Files.readString(stat);
            String[] g = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(g[11]) + Long.parseLong(g[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- output

    /** One printed row. */
    static final class Result {
        final String id;
        final String title;
        long events;
        long calls;
        long nanos;
        long wireBytes = -1;
        double bytesPerEvent = -1;
        String latency = "";
        String latencyUnit = "";
        double allocPerEvent = -1;
        double allocPerMiB = -1;
        double best;
        double worst;
        Probe probe;
        final List<String> notes = new ArrayList<>();

        Result(String id, String title) {
            this.id = id;
            this.title = title;
        }

        double rate() {
            return events * 1e9 / nanos;
        }

        double callRate() {
            return calls * 1e9 / nanos;
        }

        double mbs() {
            if (wireBytes >= 0) {
                return wireBytes * 1e3 / nanos;
            }
            return bytesPerEvent >= 0 ? rate() * bytesPerEvent / 1e6 : -1;
        }
    }

    private static void report(Result r) {
        results.add(r);
        List<String> notes = new ArrayList<>(r.notes);
        if (r.best > 0) {
            notes.add(0, "best / worst 100 ms " + millions(r.best) + " / " + millions(r.worst) + " events/s");
        }
        if (!r.latency.isEmpty()) {
            notes.add(0, "latency per " + r.latencyUnit + " p50 / p99" + (r.latency.split("/").length > 2 ? " / p99.9" : "")
                    + " " + r.latency + " ms");
        }
        if (r.allocPerEvent >= 0) {
            notes.add("server heap " + grouped(r.allocPerEvent) + " B/event");
        }
        if (r.allocPerMiB >= 0) {
            notes.add("server heap " + grouped(r.allocPerMiB) + " B/MiB");
        }
        if (r.probe != null) {
            notes.add(r.probe.cpuSummary());
        }
        System.out.printf(Locale.ROOT, "%-20s %12s events/s %10s req/s %9s MB/s   (%s)%n", r.id,
                r.events > 0 ? grouped(r.rate()) : "-", grouped(r.callRate()), r.mbs() >= 0 ? String.format(Locale.ROOT, "%.1f", r.mbs()) : "-",
                String.join("; ", notes));
    }

    private static void printTables() {
        System.out.println("| case | what | events/s | requests/s | MB/s | latency p50 / p99 / p99.9, ms | server heap | CPUs: server / client / net / others |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Result r : results) {
            String star = r.probe != null && r.probe.disturbed() ? " (*)" : "";
            String heap = r.allocPerEvent >= 0 ? grouped(r.allocPerEvent) + " B/event"
                    : r.allocPerMiB >= 0 ? grouped(r.allocPerMiB) + " B/MiB" : "";
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", r.id, r.title,
                    r.events > 0 ? grouped(r.rate()) + star : "", grouped(r.callRate()) + (r.events > 0 ? "" : star),
                    r.mbs() >= 0 ? String.format(Locale.ROOT, "%.1f", r.mbs()) : "",
                    r.latency.isEmpty() ? "" : r.latency + " (" + r.latencyUnit + ")", heap,
                    r.probe == null ? "" : String.format(Locale.ROOT, "%.2f / %.2f / %.2f / %.2f", r.probe.serverCpus,
                            r.probe.clientCpus, r.probe.netCpus, r.probe.foreign));
        }
        System.out.println();
        System.out.println("(*) other processes used more than 15% of a CPU during the case: treat as disturbed.");
        System.out.println("MB/s: request bodies for appends (JSON as sent), bytes received for /log. Server heap: bytes allocated"
                + " by all server threads (JMX/RMI/JFR left out) per event, or per MiB for /log.");
        if (!zeroCopy.isEmpty()) {
            System.out.println();
            System.out.println("Zero copy: heap bytes allocated in the server per event served, 1 KiB events (record "
                    + "about 1.1 KB), measured after a warm-up pass:");
            System.out.println();
            System.out.println("| path | events served | events/s | B/event, all threads | event loops | read threads | other threads | B/request |");
            System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (ZeroCopy z : zeroCopy) {
                System.out.printf(Locale.ROOT, "| %s: %s | %s | %s%s | %.0f | %.0f | %.0f | %.0f | %s |%n", z.id, z.title,
                        grouped(z.events), grouped(z.events * 1e9 / z.nanos), z.probe.disturbed() ? " (*)" : "", z.total(),
                        z.group(EVENT_LOOPS), z.group(READ_THREADS), z.others(),
                        z.requests > 1 ? grouped(z.probe.serverAlloc() / (double) z.requests) : "-");
            }
            System.out.println();
            for (ZeroCopy z : zeroCopy) {
                if (z.id.equals("zc-binary-1000")) {
                    System.out.printf(Locale.ROOT, "Target (issue 4): under 100 B/event on the binary path: %.0f B/event with pages"
                            + " of 1,000: %s.%n", z.total(), z.total() < 100 ? "met" : "MISSED");
                }
            }
        }
        if (!oddities.isEmpty()) {
            System.out.println();
            System.out.println("Odd:");
            oddities.forEach(o -> System.out.println("- " + o));
        }
    }

    /** Millions with three significant digits at most: 12.97 M, 0.085 M. */
    static String millions(double v) {
        double m = v / 1e6;
        return String.format(Locale.ROOT, m >= 0.1 ? "%.2f M" : "%.3f M", m);
    }

    /** A JSON object of exactly {@code size} UTF-8 bytes (the same payload as StoreBenchmark's). */
    static byte[] json(int size) {
        String head = "{\"orderId\":\"o-000123456\",\"customer\":\"c-00042\",\"amount\":1234.56,\"currency\":\"EUR\",\"note\":\"";
        String tail = "\"}";
        byte[] b = (head + "x".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
        if (b.length != size) {
            throw new IllegalStateException("payload is " + b.length + " bytes");
        }
        return b;
    }

    // ---------------------------------------------------------------- environment (as StoreBenchmark prints it)

    static String jvmDescription() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + "), max heap "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB, GC "
                + String.join("+", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
    }

    static String machineDescription(Path dir) {
        String cpu = firstMatch(Paths.get("/proc/cpuinfo"), "model name");
        String mem = firstMatch(Paths.get("/proc/meminfo"), "MemTotal");
        long memKb = mem == null ? -1 : Long.parseLong(mem.replaceAll("[^0-9]", ""));
        String fs;
        try {
            fs = Files.getFileStore(dir).type();
        } catch (IOException e) {
            fs = "unknown";
        }
        return String.format(Locale.ROOT, "nproc %d%s, RAM %.1f GiB, %s %s, fs %s",
                Runtime.getRuntime().availableProcessors(), cpu == null ? "" : " (" + cpu + ")",
                memKb / 1024.0 / 1024.0, System.getProperty("os.name"), System.getProperty("os.version"), fs);
    }

    private static String firstMatch(Path file, String key) {
        try (java.util.stream.Stream<String> lines = Files.lines(file)) {
            return lines.filter(l -> l.startsWith(key)).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(null);
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String grouped(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    private HttpBenchmark() {
    }
}
