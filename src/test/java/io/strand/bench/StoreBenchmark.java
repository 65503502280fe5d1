package io.strand.bench;

import io.strand.log.CommitLog;
import io.strand.log.LogConfig;
import io.strand.log.LogOverloadedException;
import io.strand.store.AppendOutcome;
import io.strand.store.Direction;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.ReadPage;
import io.strand.store.RecordedEvent;
import io.strand.store.StoreConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * Throughput of the store layer ({@link EventStore} over the commit log), on this machine, in one
 * run: appends, reads and subscriptions. Plain {@code main}, like {@link LogBenchmark}:
 *
 * <pre>
 * ./mvnw -q -o test-compile exec:exec -Dexec.executable=java \
 *     -Dexec.args="-Xms2g -Xmx2g -cp %classpath io.strand.bench.StoreBenchmark"
 * </pre>
 *
 * <p>Log config: {@link LogConfig#defaults} (pool on, 8 x 4 MiB, async flush every 500 ms) with
 * 256 MiB segments to save disk; store config {@link StoreConfig#defaults()}. Events carry a fixed
 * 128-byte JSON payload, type {@code BenchEvent}, no metadata, a fresh id each; appends use
 * {@link ExpectedVersion#ANY} and the server's default durability (COMMITTED in async mode).
 *
 * <p>Cases:
 * <ul>
 *   <li>{@code append-*}: each in a fresh directory (deleted afterwards). {@code threads} appender
 *       threads, each keeping up to {@code inflight} events outstanding (a ring of stages, waiting
 *       for the oldest when full); thread {@code t} takes streams {@code t, t+threads, ...}
 *       round-robin. A refused append ({@link LogOverloadedException}) is retried after waiting
 *       for the thread's oldest append (or a short park), and counted. Events/s count completed
 *       events; log MB/s is the committed position's advance (framed records).</li>
 *   <li>A data set for the rest: {@code fill} events by the same appenders, every 5th to the
 *       stream {@code hot}, the rest round-robin over 1,000 streams.</li>
 *   <li>{@code read-*}: one reader thread: {@code readStream} forward pages of 100 over {@code hot}
 *       (wrapping), {@code readEvent} at random versions of {@code hot}, {@code readAll} pages of
 *       100 over the whole log (wrapping).</li>
 *   <li>{@code sub-*-catchup}: one subscriber from the start, requesting {@code request} events at
 *       a time from {@code onNext} (or unbounded), timed from subscribing to the last event of the
 *       data set, {@code passes} times (a new subscription each); drains run on a 2-thread
 *       executor.</li>
 *   <li>{@code live}: appenders as in the fill (time-bounded), with a {@code subscribeAll(END)}
 *       and a {@code subscribeStream(hot, END)} subscriber: appends/s and delivered/s in the same
 *       window, lag, and delivery latency (now minus the record's append timestamp, ms).</li>
 * </ul>
 *
 * <p>Arguments (all optional): {@code quick}, {@code warmup=S}, {@code measure=S},
 * {@code threads=4}, {@code inflight=1024} (events per thread), {@code fill=1500000},
 * {@code request=256}, {@code passes=3}, {@code segment=256} (MiB), {@code only=ID,PREFIX*,...},
 * {@code dir=PATH} (default {@code target/bench}), {@code keep}, {@code timeline} (print every
 * 100 ms window of the timed cases with the committed position, segment count and GC time).
 */
public final class StoreBenchmark {

    private static final String TYPE = "BenchEvent";
    private static final int DATA_SIZE = 128;
    private static final byte[] DATA = json(DATA_SIZE);
    private static final String HOT = "hot";
    private static final int HOT_EVERY = 5;
    private static final int FILL_STREAMS = 1000;
    private static final long SUB_WINDOW = 100_000_000L;
    /** Held strongly: java.util.logging keeps loggers weakly, and a collected logger forgets its level. */
    private static java.util.logging.Logger logLevel;
    private static final AtomicInteger RUN_IDS = new AtomicInteger(1);

    // ---------------------------------------------------------------- options

    static double warmupSeconds = 1.0;
    static double measureSeconds = 2.0;
    static int threads = 4;
    static int inflight = 1024;
    static int fill = 1_500_000;
    static long request = 256;
    static int segmentMiB = 256;
    static List<String> only = List.of();
    static Path root = Paths.get("target", "bench");
    static boolean keep;
    static boolean timeline;
    static int passes = 3;

    private static final List<Result> results = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        // The store and index log through System.Logger, which JBoss LogManager (on the test classpath)
        // serves: install it before anything logs, as the server does, and keep INFO lines (recovery at
        // every open) out of the output; warnings stay.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        logLevel = java.util.logging.Logger.getLogger("io.strand");
        logLevel.setLevel(java.util.logging.Level.WARNING);
        for (String a : args) {
            for (String arg : a.trim().split("\\s+")) {
                parseArg(arg);
            }
        }
        Files.createDirectories(root);
        root = root.toAbsolutePath();
        System.out.println("# Strand store benchmark");
        System.out.println();
        System.out.println("- machine: " + machineDescription(root));
        System.out.println("- JVM: " + jvmDescription());
        System.out.printf(Locale.ROOT, "- warmup %.1f s, measure %.1f s per timed case; %d appender threads x %d events in flight;"
                        + " %d-byte JSON data; log: defaults (pool on, async flush) with %d MiB segments; dir %s%n",
                warmupSeconds, measureSeconds, threads, inflight, DATA_SIZE, segmentMiB, root);
        System.out.println("- load average at the start: " + loadAverage());
        System.out.println();
        long start = System.nanoTime();

        appendCase("append-1-stream", "single-event appends, 1 stream", 1, 1);
        appendCase("append-1k-streams", "single-event appends, 1,000 streams round-robin", 1000, 1);
        appendCase("append-100k-streams", "single-event appends, 100,000 streams round-robin", 100_000, 1);
        appendCase("append-1k-streams-batch16", "16-event batches, 1,000 streams round-robin", 1000, 16);

        if (selected("read-*") || selected("sub-*") || selected("live")) {
            dataSetCases();
        }

        System.out.printf(Locale.ROOT, "%n(total %.0f s; load average at the end: %s)%n%n", (System.nanoTime() - start) / 1e9,
                loadAverage());
        printTable();
    }

    private static void parseArg(String arg) {
        if (arg.isEmpty()) {
            return;
        }
        String[] kv = arg.split("=", 2);
        switch (kv[0]) {
            case "quick" -> {
                warmupSeconds = 0.5;
                measureSeconds = 1.0;
                fill = 1_000_000;
                passes = 2;
            }
            case "warmup" -> warmupSeconds = Double.parseDouble(kv[1]);
            case "measure" -> measureSeconds = Double.parseDouble(kv[1]);
            case "threads" -> threads = Integer.parseInt(kv[1]);
            case "inflight" -> inflight = Integer.parseInt(kv[1]);
            case "fill" -> fill = Integer.parseInt(kv[1]);
            case "request" -> request = Long.parseLong(kv[1]);
            case "segment" -> segmentMiB = Integer.parseInt(kv[1]);
            case "only" -> only = List.of(kv[1].split(","));
            case "dir" -> root = Paths.get(kv[1]);
            case "keep" -> keep = true;
            case "timeline" -> timeline = true;
            case "passes" -> passes = Integer.parseInt(kv[1]);
            default -> throw new IllegalArgumentException("unknown argument: " + arg
                    + " (known: quick, warmup=S, measure=S, threads=N, inflight=N, fill=N, request=N, segment=MiB,"
                    + " passes=N, only=ID,PREFIX*,..., dir=PATH, keep, timeline)");
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

    // ---------------------------------------------------------------- model

    /** One printed row. */
    static final class Result {
        final String id;
        final String title;
        long events;
        long calls;
        long nanos;
        long logBytes = -1;
        double best;
        double worst;
        long retries = -1;
        /** CPUs other processes used while the case ran (0.25 = a quarter of one). */
        double foreign;
        final List<String> notes = new ArrayList<>();

        void probe(Probe p) {
            foreign = p.foreign;
            notes.add(p.summary);
        }

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
    }

    /** A store over a fresh directory. */
    static final class Store implements AutoCloseable {
        final Path dir;
        final CommitLog log;
        final EventStore store;

        Store(String id) throws IOException {
            dir = Files.createDirectories(root.resolve("store-" + id + "-" + System.nanoTime()));
            LogConfig config = LogConfig.defaults(dir).withSegmentSize(segmentMiB << 20);
            log = CommitLog.open(config);
            EventStore s;
            try {
                s = EventStore.open(log, StoreConfig.defaults());
            } catch (IOException | RuntimeException e) {
                log.close();
                throw e;
            }
            store = s;
        }

        private boolean closed;

        /** Closes the store, then the log, then deletes the directory; once. */
        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                store.close();
            } finally {
                log.close();
                deleteDir(dir);
            }
        }
    }

    // ---------------------------------------------------------------- appenders

    interface StreamChooser {
        /** The stream of appender {@code thread}'s {@code k}-th append. */
        String stream(int thread, long k);
    }

    static StreamChooser roundRobin(int streams) {
        String[] names = new String[streams];
        for (int i = 0; i < streams; i++) {
            names[i] = streams == 1 ? "stream" : "stream-" + i;
        }
        int n = threads;
        return (t, k) -> names[(int) ((k * n + t) % streams)];
    }

    /** The data set's mix: every 5th append of each thread to {@code hot}, the rest round-robin over 1,000 streams. */
    static StreamChooser mixed() {
        String[] names = new String[FILL_STREAMS];
        for (int i = 0; i < FILL_STREAMS; i++) {
            names[i] = "s-" + i;
        }
        int n = threads;
        return (t, k) -> k % HOT_EVERY == 0 ? HOT : names[(int) ((k * n + t) % FILL_STREAMS)];
    }

    /**
     * {@code threads} appender threads, each with up to {@code inflight} events outstanding, until
     * stopped or until each has submitted {@code appendsPerThread} appends.
     */
    static final class Appenders {
        final EventStore store;
        final int perAppend;
        final StreamChooser chooser;
        final long appendsPerThread;
        final long runId = RUN_IDS.getAndIncrement();
        /** Per thread, 16 longs apart: [0] completed events, [1] completed appends, [2] overload retries, [3] late overloads, [4] duplicates. */
        final AtomicLongArray counters = new AtomicLongArray(threads * 16);
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final List<Thread> workers = new ArrayList<>();
        volatile boolean stop;

        Appenders(EventStore store, int perAppend, StreamChooser chooser, long appendsPerThread) {
            this.store = store;
            this.perAppend = perAppend;
            this.chooser = chooser;
            this.appendsPerThread = appendsPerThread;
        }

        void start() {
            for (int i = 0; i < threads; i++) {
                int t = i;
                Thread th = new Thread(() -> {
                    try {
                        work(t);
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    }
                }, "bench-appender-" + i);
                th.setDaemon(true);
                workers.add(th);
                th.start();
            }
        }

        /** Stops submitting, waits for every outstanding append, and rethrows an appender's failure. */
        void stopAndJoin() throws InterruptedException {
            stop = true;
            join();
        }

        void join() throws InterruptedException {
            for (Thread th : workers) {
                th.join(60_000);
                if (th.isAlive()) {
                    throw new IllegalStateException(th.getName() + " did not finish within 60 s (appends never completed?)");
                }
            }
            if (error.get() != null) {
                throw new IllegalStateException("appender failed", error.get());
            }
        }

        long sum(int field) {
            long s = 0;
            for (int i = 0; i < threads; i++) {
                s += counters.get(i * 16 + field);
            }
            return s;
        }

        long events() {
            return sum(0);
        }

        long appends() {
            return sum(1);
        }

        @SuppressWarnings("unchecked")
        private void work(int t) {
            int slot = t * 16;
            int cap = Math.max(1, inflight / perAppend);
            CompletableFuture<AppendOutcome>[] futures = new CompletableFuture[cap];
            String[] streams = new String[cap];
            List<NewEvent>[] batches = new List[cap];
            ArrayDeque<Object[]> retry = new ArrayDeque<>();
            int head = 0;
            int size = 0;
            long k = 0;
            long seq = 0;
            long msb = (0x5354L << 48) | (runId << 16) | t;
            long events = 0;
            long appends = 0;
            long overloads = 0;
            long late = 0;
            long duplicates = 0;
            String stream = null;
            List<NewEvent> batch = null;
            int backoff = 0;
            while (true) {
                if (batch == null) {
                    if (!retry.isEmpty()) {
                        Object[] r = retry.poll();
                        stream = (String) r[0];
                        batch = (List<NewEvent>) r[1];
                    } else if (!stop && k < appendsPerThread) {
                        stream = chooser.stream(t, k++);
                        if (perAppend == 1) {
                            batch = List.of(new NewEvent(new UUID(msb, seq++), TYPE, DATA, null, false));
                        } else {
                            NewEvent[] b = new NewEvent[perAppend];
                            for (int i = 0; i < perAppend; i++) {
                                b[i] = new NewEvent(new UUID(msb, seq++), TYPE, DATA, null, false);
                            }
                            batch = List.of(b);
                        }
                    }
                }
                if (batch == null || size == cap) {
                    if (size == 0) {
                        break; // nothing left to submit or to wait for
                    }
                    // Complete the oldest outstanding append.
                    CompletableFuture<AppendOutcome> f = futures[head];
                    awaitDone(f);
                    if (f.isCompletedExceptionally()) {
                        Throwable e = cause(f);
                        if (!(e instanceof LogOverloadedException)) {
                            throw new IllegalStateException("append failed", e);
                        }
                        late++; // refused after a deferred retry inside the store: submit it again
                        counters.lazySet(slot + 3, late);
                        retry.add(new Object[] {streams[head], batches[head]});
                    } else {
                        AppendOutcome o = f.join();
                        if (o.duplicate()) {
                            duplicates++;
                            counters.lazySet(slot + 4, duplicates);
                        }
                        events += batches[head].size();
                        appends++;
                        counters.lazySet(slot + 1, appends);
                        counters.lazySet(slot, events);
                    }
                    futures[head] = null;
                    streams[head] = null;
                    batches[head] = null;
                    head = (head + 1) % cap;
                    size--;
                    continue;
                }
                CompletableFuture<AppendOutcome> f = store.append(stream, batch, ExpectedVersion.ANY, null).toCompletableFuture();
                if (f.isCompletedExceptionally()) {
                    Throwable e = cause(f);
                    if (!(e instanceof LogOverloadedException)) {
                        throw new IllegalStateException("append failed", e);
                    }
                    overloads++;
                    counters.lazySet(slot + 2, overloads);
                    if (size > 0) {
                        // Back off by waiting for our oldest append: the natural pace of the log.
                        awaitDone(futures[head]);
                    } else {
                        LockSupport.parkNanos(Math.min(1_000_000L, 20_000L << Math.min(6, backoff++)));
                    }
                    continue; // retry the same batch
                }
                backoff = 0;
                int tail = (head + size) % cap;
                futures[tail] = f;
                streams[tail] = stream;
                batches[tail] = batch;
                size++;
                batch = null;
            }
        }
    }

    static Throwable cause(CompletableFuture<?> f) {
        Throwable e = f.handle((x, err) -> err).getNow(null);
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** Waits without parking first: spin, yield a little (2 vCPUs: let the commit thread run), then park. */
    static void awaitDone(CompletableFuture<?> f) {
        int spins = 0;
        while (!f.isDone()) {
            if (spins < 64) {
                Thread.onSpinWait();
            } else if (spins < 256) {
                Thread.yield();
            } else {
                try {
                    f.join();
                } catch (CompletionException | java.util.concurrent.CancellationException ignored) {
                    // the caller looks at the outcome
                }
                return;
            }
            spins++;
        }
    }

    // ---------------------------------------------------------------- measuring

    /**
     * The measured window of a timed case: waits out the warmup, then samples {@code counters}
     * (the first one drives the best / worst 100 ms windows) until the measure time is over.
     */
    static final class Window {
        final LongSupplier[] counters;
        final CommitLog log;
        long[] c0;
        long[] c1;
        long t0;
        long t1;
        long p0;
        long p1;
        double best;
        double worst = Double.MAX_VALUE;
        Probe probe;
        final List<String> timelineRows = new ArrayList<>();

        Window(CommitLog log, LongSupplier... counters) {
            this.log = log;
            this.counters = counters;
        }

        /** Called right after the load started; returns after the measured window. */
        Window run(long startNanos, Runnable atMeasureStart, Runnable atMeasureEnd) throws InterruptedException {
            long measureStart = startNanos + (long) (warmupSeconds * 1e9);
            sleepUntil(measureStart);
            probe = new Probe();
            if (atMeasureStart != null) {
                atMeasureStart.run();
            }
            c0 = sample();
            t0 = System.nanoTime();
            p0 = log == null ? 0 : log.committedPosition();
            long end = t0 + (long) (measureSeconds * 1e9);
            long subT = t0;
            long subN = c0[0];
            while (true) {
                long now = System.nanoTime();
                long next = Math.min(end, subT + SUB_WINDOW);
                if (now < next) {
                    sleepUntil(next);
                    now = System.nanoTime();
                }
                long n = counters[0].getAsLong();
                if (now - subT >= SUB_WINDOW / 2) {
                    double r = (n - subN) * 1e9 / (now - subT);
                    best = Math.max(best, r);
                    worst = Math.min(worst, r);
                    if (timeline) {
                        timelineRows.add(String.format(Locale.ROOT, "    t=%5.0f ms  %12s events/s  committed %6d MiB  %d segment(s)  gc %d ms",
                                (now - t0) / 1e6, grouped(r), log == null ? 0 : log.committedPosition() >> 20,
                                log == null ? 0 : log.segmentCount(), gcMillis()));
                    }
                    subT = now;
                    subN = n;
                }
                if (now >= end) {
                    break;
                }
            }
            c1 = sample();
            t1 = System.nanoTime();
            p1 = log == null ? 0 : log.committedPosition();
            if (atMeasureEnd != null) {
                atMeasureEnd.run();
            }
            probe.finish();
            timelineRows.forEach(System.out::println);
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

        double rate(int i) {
            return delta(i) * 1e9 / (t1 - t0);
        }

        void fill(Result r, int events, int calls) {
            r.events = delta(events);
            r.calls = calls < 0 ? 0 : delta(calls);
            r.nanos = t1 - t0;
            r.best = best;
            r.worst = worst == Double.MAX_VALUE ? 0 : worst;
            if (log != null) {
                r.logBytes = p1 - p0;
            }
        }
    }

    /** CPU of this process, of other processes, per thread group, and GC time, over a stretch of time. */
    static final class Probe {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        final long[] cpu0 = cpuTicks();
        final long gc0 = gcMillis();
        final long wall0 = System.nanoTime();
        final Map<Long, Long> threadCpu0 = threadCpu();
        String summary;
        /** CPUs used by other processes meanwhile. */
        double foreign;

        void finish() {
            long[] cpu1 = cpuTicks();
            long gc = gcMillis() - gc0;
            double wall = (System.nanoTime() - wall0) / 1e9;
            Map<Long, Long> threadCpu1 = threadCpu();
            double wallTicks = (cpu1[3] - cpu0[3]) / (double) Runtime.getRuntime().availableProcessors();
            double own = wallTicks <= 0 ? 0 : (cpu1[1] - cpu0[1]) / wallTicks;
            foreign = wallTicks <= 0 ? 0 : Math.max(0, (cpu1[0] - cpu0[0]) - (cpu1[1] - cpu0[1])) / wallTicks;
            // Thread CPU, grouped by name without a trailing number, as % of one CPU.
            Map<String, Long> groups = new HashMap<>();
            long[] ids = threadCpu1.keySet().stream().mapToLong(Long::longValue).toArray();
            ThreadInfo[] infos = THREADS.getThreadInfo(ids);
            for (int i = 0; i < ids.length; i++) {
                if (infos[i] == null) {
                    continue;
                }
                long d = threadCpu1.get(ids[i]) - threadCpu0.getOrDefault(ids[i], 0L);
                String name = infos[i].getThreadName().replaceAll("-\\d+$", "-*");
                groups.merge(name, d, Long::sum);
            }
            List<Map.Entry<String, Long>> top = groups.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6).toList();
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "process %.2f CPUs, others %.2f, gc %d ms; threads:", own, foreign, gc));
            for (Map.Entry<String, Long> e : top) {
                sb.append(String.format(Locale.ROOT, " %s %.0f%%", e.getKey(), 100.0 * e.getValue() / 1e9 / wall));
            }
            summary = sb.toString();
        }

        private static Map<Long, Long> threadCpu() {
            Map<Long, Long> m = new HashMap<>();
            if (!THREADS.isThreadCpuTimeSupported()) {
                return m;
            }
            for (long id : THREADS.getAllThreadIds()) {
                long c = THREADS.getThreadCpuTime(id);
                if (c >= 0) {
                    m.put(id, c);
                }
            }
            return m;
        }
    }

    // ---------------------------------------------------------------- append cases

    static void appendCase(String id, String title, int streams, int perAppend) throws Exception {
        if (!selected(id)) {
            return;
        }
        Result r = new Result(id, title + "; " + threads + " threads x " + inflight + " events in flight");
        long openNanos = System.nanoTime();
        try (Store s = new Store(id)) {
            openNanos = System.nanoTime() - openNanos;
            Appenders a = new Appenders(s.store, perAppend, roundRobin(streams), Long.MAX_VALUE);
            long start = System.nanoTime();
            a.start();
            Window w = new Window(s.log, a::events, a::appends).run(start, null, null);
            long drain = System.nanoTime();
            a.stopAndJoin();
            drain = System.nanoTime() - drain;
            w.fill(r, 0, 1);
            r.retries = a.sum(2) + a.sum(3);
            r.notes.add(String.format(Locale.ROOT, "open %.0f ms, drain %.0f ms", openNanos / 1e6, drain / 1e6));
            if (a.sum(3) > 0) {
                r.notes.add("late overloads " + a.sum(3));
            }
            if (a.sum(4) > 0) {
                r.notes.add("UNEXPECTED duplicate outcomes " + a.sum(4));
            }
            r.notes.add(grouped(a.events()) + " events in " + s.log.segmentCount() + " segment(s), "
                    + s.store.index().catalog().size() + " streams");
            r.probe(w.probe);
            long closeNanos = System.nanoTime();
            s.close();
            r.notes.add(String.format(Locale.ROOT, "close+delete %.0f ms", (System.nanoTime() - closeNanos) / 1e6));
        }
        report(r);
    }

    // ---------------------------------------------------------------- data set cases

    static void dataSetCases() throws Exception {
        ExecutorService subExecutor = Executors.newFixedThreadPool(2, new java.util.concurrent.ThreadFactory() {
            final AtomicInteger n = new AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, "bench-sub-" + n.getAndIncrement());
                t.setDaemon(true);
                return t;
            }
        });
        try (Store s = new Store("dataset")) {
            // Fill.
            Result f = new Result("fill", "data set: " + grouped(fill) + " single-event appends, every 5th to '" + HOT
                    + "', the rest over 1,000 streams; " + threads + " threads x " + inflight + " in flight");
            Appenders a = new Appenders(s.store, 1, mixed(), (fill + threads - 1) / threads);
            Probe probe = new Probe();
            long t0 = System.nanoTime();
            a.start();
            a.join();
            f.nanos = System.nanoTime() - t0;
            probe.finish();
            f.events = a.events();
            f.calls = a.appends();
            f.logBytes = s.log.committedPosition();
            f.retries = a.sum(2) + a.sum(3);
            long total = f.events;
            long hotCount = s.store.streamInfo(HOT).lastVersion() + 1;
            f.notes.add(grouped(total) + " events, " + grouped(hotCount) + " in '" + HOT + "', log "
                    + (s.log.committedPosition() >> 20) + " MiB in " + s.log.segmentCount() + " segment(s)");
            f.probe(probe);
            report(f);

            // A full pass of $all checks the count and order before anything is timed on it.
            long t = System.nanoTime();
            long[] pass = readAllPass(s.store);
            System.out.printf(Locale.ROOT, "  (check: readAll pass %s events, %s out of order, %.0f ms; %s)%n",
                    grouped(pass[0]), grouped(pass[1]), (System.nanoTime() - t) / 1e6,
                    pass[0] == total && pass[1] == 0 ? "ok" : "MISMATCH: appended " + total);

            readCases(s, hotCount);
            subscriptionCatchUpCases(s, subExecutor, total, hotCount);
            liveCase(s, subExecutor);
            long closeNanos = System.nanoTime();
            long logMiB = s.log.committedPosition() >> 20;
            long dirMiB = directoryBytes(s.dir) >> 20;
            int segments = s.log.segmentCount();
            s.close();
            System.out.printf(Locale.ROOT, "  (data set at the end: log %d MiB in %d segment(s), directory %d MiB on disk;"
                    + " close+delete %.0f ms)%n", logMiB, segments, dirMiB, (System.nanoTime() - closeNanos) / 1e6);
        } finally {
            subExecutor.shutdownNow();
        }
    }

    /** {events, out-of-order positions} of one readAll pass over the whole log. */
    static long[] readAllPass(EventStore store) {
        long n = 0;
        long disorder = 0;
        long last = -1;
        long from = 0;
        while (true) {
            ReadPage p = store.readAll(from, 1000);
            for (RecordedEvent e : p.events()) {
                if (e.position() <= last) {
                    disorder++;
                }
                last = e.position();
                n++;
            }
            if (!p.hasNext()) {
                return new long[] {n, disorder};
            }
            from = p.next();
        }
    }

    interface ReadLoop {
        /** One call; returns the events it read, or throws on a wrong answer. */
        int once();
    }

    static void readCases(Store s, long hotCount) throws Exception {
        EventStore store = s.store;
        long last = hotCount - 1;
        readCase(s, "read-stream-fwd100", "readStream('" + HOT + "', forward, pages of 100) over " + grouped(hotCount)
                + " events, wrapping; 1 reader", new ReadLoop() {
            long from = 0;

            @Override
            public int once() {
                ReadPage p = store.readStream(HOT, from, 100, Direction.FORWARD);
                List<RecordedEvent> ev = p.events();
                if (ev.isEmpty() || ev.get(0).version() != from || ev.get(ev.size() - 1).version() != from + ev.size() - 1
                        || !HOT.equals(ev.get(0).stream())) {
                    throw new IllegalStateException("readStream from " + from + " returned versions "
                            + (ev.isEmpty() ? "none" : ev.get(0).version() + ".." + ev.get(ev.size() - 1).version()));
                }
                from = p.hasNext() ? p.next() : 0;
                return ev.size();
            }
        });
        readCase(s, "read-event-random", "readEvent('" + HOT + "', random version of " + grouped(hotCount) + "); 1 reader",
                () -> {
                    long v = ThreadLocalRandom.current().nextLong(last + 1);
                    RecordedEvent e = store.readEvent(HOT, v);
                    if (e.version() != v) {
                        throw new IllegalStateException("readEvent(" + v + ") returned version " + e.version());
                    }
                    return 1;
                });
        readCase(s, "read-all-100", "readAll(pages of 100) over the whole log, wrapping; 1 reader", new ReadLoop() {
            long from = 0;

            @Override
            public int once() {
                ReadPage p = store.readAll(from, 100);
                if (p.events().isEmpty()) {
                    throw new IllegalStateException("readAll from " + from + " returned nothing");
                }
                from = p.hasNext() ? p.next() : 0;
                return p.events().size();
            }
        });
    }

    static void readCase(Store s, String id, String title, ReadLoop loop) throws Exception {
        if (!selected(id)) {
            return;
        }
        Result r = new Result(id, title);
        AtomicLong events = new AtomicLong();
        AtomicLong calls = new AtomicLong();
        AtomicReference<Throwable> error = new AtomicReference<>();
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = new Thread(() -> {
            long e = 0;
            long c = 0;
            try {
                while (!stop.get()) {
                    e += loop.once();
                    c++;
                    if ((c & 15) == 0) {
                        events.lazySet(e);
                        calls.lazySet(c);
                    }
                }
            } catch (Throwable x) {
                error.compareAndSet(null, x);
            }
        }, "bench-reader");
        reader.setDaemon(true);
        long start = System.nanoTime();
        reader.start();
        Window w = new Window(null, events::get, calls::get).run(start, null, null);
        stop.set(true);
        reader.join(30_000);
        if (error.get() != null) {
            throw new IllegalStateException(id + " failed", error.get());
        }
        w.fill(r, 0, 1);
        r.probe(w.probe);
        report(r);
    }

    /** Counts what a subscription delivers and checks its order; requests {@code batch} at a time. */
    static final class Counter implements Flow.Subscriber<RecordedEvent> {
        final long batch;
        final boolean byVersion;
        volatile Flow.Subscription subscription;
        final AtomicLong received = new AtomicLong();
        volatile Throwable error;
        volatile boolean completed;
        volatile boolean recordLatency;
        final long[] latencyMs = new long[60_001];
        long n;
        long sinceRequest;
        long last = -1;
        long disorder;
        long firstKey = -1;

        Counter(long batch, boolean byVersion) {
            this.batch = batch;
            this.byVersion = byVersion;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(batch);
        }

        @Override
        public void onNext(RecordedEvent e) {
            long key = byVersion ? e.version() : e.position();
            if (firstKey < 0) {
                firstKey = key;
            }
            if (last >= 0 && (byVersion ? key != last + 1 : key <= last)) {
                disorder++;
            }
            last = key;
            if (recordLatency) {
                long ms = System.currentTimeMillis() - e.timestamp();
                latencyMs[(int) Math.max(0, Math.min(latencyMs.length - 1, ms))]++;
            }
            received.lazySet(++n);
            if (batch != Long.MAX_VALUE && ++sinceRequest == batch) {
                sinceRequest = 0;
                subscription.request(batch);
            }
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onComplete() {
            completed = true;
        }

        void cancel() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        /** Latency percentile in ms from the histogram (read after the deliveries it covers). */
        long percentile(double q) {
            long total = 0;
            for (long c : latencyMs) {
                total += c;
            }
            if (total == 0) {
                return -1;
            }
            long want = (long) Math.ceil(q * total);
            long seen = 0;
            for (int i = 0; i < latencyMs.length; i++) {
                seen += latencyMs[i];
                if (seen >= want) {
                    return i;
                }
            }
            return latencyMs.length - 1;
        }
    }

    static void subscriptionCatchUpCases(Store s, ExecutorService executor, long total, long hotCount) throws Exception {
        if (!selected("sub-*")) {
            return;
        }
        // Warm the drain path up (JIT) on part of the log; not reported.
        Counter warm = new Counter(request, false);
        s.store.subscribeAll(0, executor).subscribe().withSubscriber(warm);
        awaitCount(warm, Math.min(total, 300_000), null);
        warm.cancel();

        catchUp(s, "sub-all-catchup-r" + request, "subscribeAll(0) catch-up over the data set, request(" + request
                + ") at a time", total, false, request, executor);
        catchUp(s, "sub-all-catchup-unbounded", "subscribeAll(0) catch-up over the data set, request(Long.MAX_VALUE)",
                total, false, Long.MAX_VALUE, executor);
        catchUp(s, "sub-stream-catchup-r" + request, "subscribeStream('" + HOT + "', 0) catch-up, request(" + request
                + ") at a time", hotCount, true, request, executor);
        catchUp(s, "sub-stream-catchup-unbounded", "subscribeStream('" + HOT + "', 0) catch-up, request(Long.MAX_VALUE)",
                hotCount, true, Long.MAX_VALUE, executor);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (s.store.subscriptionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        if (s.store.subscriptionCount() > 0) {
            System.out.println("  (ODD: " + s.store.subscriptionCount() + " subscription(s) still open 2 s after cancel)");
        }
    }

    static void catchUp(Store s, String id, String title, long expected, boolean stream, long batch,
                        ExecutorService executor) throws Exception {
        if (!selected(id)) {
            return;
        }
        Result r = new Result(id, title + "; " + passes + " passes, each a new subscription from the start");
        Probe probe = new Probe();
        List<String> perPass = new ArrayList<>();
        long disorder = 0;
        boolean mismatch = false;
        for (int pass = 0; pass < passes; pass++) {
            Counter c = new Counter(batch, stream);
            if (stream) {
                s.store.subscribeStream(HOT, 0, executor).subscribe().withSubscriber(c);
            } else {
                s.store.subscribeAll(0, executor).subscribe().withSubscriber(c);
            }
            long took = awaitCount(c, expected, null);
            // Anything beyond the data set would be a duplicate: give it a moment to show (not timed).
            Thread.sleep(20);
            long got = c.received.get();
            c.cancel();
            r.events += got;
            r.nanos += took;
            disorder += c.disorder;
            mismatch |= got != expected || c.error != null;
            perPass.add(String.format(Locale.ROOT, "%.0f ms (%s/s)", took / 1e6, millions(got * 1e9 / took)));
            if (c.error != null) {
                r.notes.add("error " + c.error);
            }
        }
        probe.finish();
        r.notes.add(grouped(expected) + " events per pass: " + String.join(", ", perPass) + "; " + grouped(disorder)
                + (stream ? " version gaps" : " out of order") + (mismatch || disorder != 0 ? "; MISMATCH" : ""));
        r.probe(probe);
        report(r);
    }

    /**
     * Waits until {@code c} has {@code expected} events (or 60 s); returns the nanoseconds taken.
     * {@code bestWorst}, when given, receives the best and worst 100 ms delivery rates.
     */
    static long awaitCount(Counter c, long expected, double[] bestWorst) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + 60_000_000_000L;
        long subT = t0;
        long subN = 0;
        double best = 0;
        double worst = Double.MAX_VALUE;
        int windows = 0;
        long lastProgress = t0;
        long lastN = 0;
        while (true) {
            long n = c.received.get();
            long now = System.nanoTime();
            if (n >= expected || c.error != null || c.completed) {
                if (bestWorst != null && windows >= 3) { // fewer windows say nothing about steadiness
                    bestWorst[0] = best;
                    bestWorst[1] = worst;
                }
                return now - t0;
            }
            if (n != lastN) {
                lastN = n;
                lastProgress = now;
            }
            if (now > deadline || now - lastProgress > 10_000_000_000L) {
                throw new IllegalStateException("subscription stalled at " + n + " of " + expected + " events");
            }
            if (now - subT >= SUB_WINDOW) {
                double rate = (n - subN) * 1e9 / (now - subT);
                best = Math.max(best, rate);
                worst = Math.min(worst, rate);
                windows++;
                subT = now;
                subN = n;
            }
            Thread.sleep(1);
        }
    }

    static void liveCase(Store s, ExecutorService executor) throws Exception {
        if (!selected("live")) {
            return;
        }
        Result r = new Result("live", "appends as in the fill, with subscribeAll(END) and subscribeStream('" + HOT
                + "', END) subscribers, request(" + request + ") at a time");
        Result rAll = new Result("live-delivered-all", "events delivered to the subscribeAll(END) subscriber, same window");
        Result rHot = new Result("live-delivered-hot", "events delivered to the subscribeStream('" + HOT
                + "', END) subscriber, same window (1/5 of appends)");
        long hotBefore = s.store.streamInfo(HOT).lastVersion() + 1;
        Counter all = new Counter(request, false);
        Counter hot = new Counter(request, true);
        s.store.subscribeAll(EventStore.END, executor).subscribe().withSubscriber(all);
        s.store.subscribeStream(HOT, EventStore.END, executor).subscribe().withSubscriber(hot);
        Appenders a = new Appenders(s.store, 1, mixed(), Long.MAX_VALUE);
        long start = System.nanoTime();
        a.start();
        Window w = new Window(s.log, a::events, () -> all.received.get(), () -> hot.received.get(), a::appends)
                .run(start, () -> all.recordLatency = true, () -> all.recordLatency = false);
        long lagAll = w.c1[0] - w.c1[1];
        long stopT = System.nanoTime();
        a.stopAndJoin();
        long appended = a.events();
        long hotAppended = s.store.streamInfo(HOT).lastVersion() + 1 - hotBefore;
        long appendsDone = System.nanoTime() - stopT;
        awaitCount(all, appended, null);
        awaitCount(hot, hotAppended, null);
        long caughtUp = System.nanoTime() - stopT;
        Thread.sleep(20);
        long gotAll = all.received.get();
        long gotHot = hot.received.get();
        all.cancel();
        hot.cancel();

        w.fill(r, 0, 3);
        r.retries = a.sum(2) + a.sum(3);
        r.probe(w.probe);
        r.notes.add(String.format(Locale.ROOT, "after the window: appends drained in %.0f ms, subscribers caught up %.0f ms"
                + " after the stop", appendsDone / 1e6, caughtUp / 1e6));
        report(r);

        rAll.foreign = r.foreign;
        rAll.events = w.delta(1);
        rAll.nanos = w.t1 - w.t0;
        rAll.notes.add(lagAll > 0 ? "lag at the end of the window " + grouped(lagAll) + " events"
                : "caught up at the end of the window");
        rAll.notes.add(String.format(Locale.ROOT, "latency (now - append timestamp) p50 %d ms, p99 %d ms, p99.9 %d ms, max %d ms",
                all.percentile(0.5), all.percentile(0.99), all.percentile(0.999), all.percentile(1.0)));
        rAll.notes.add(grouped(gotAll) + " delivered of " + grouped(appended) + " appended, " + grouped(all.disorder)
                + " out of order" + (gotAll == appended && all.disorder == 0 && all.error == null ? "" : " MISMATCH"
                + (all.error != null ? " error " + all.error : "")));
        report(rAll);

        rHot.foreign = r.foreign;
        rHot.events = w.delta(2);
        rHot.nanos = w.t1 - w.t0;
        long lagHot = w.c1[0] / HOT_EVERY - w.c1[2];
        rHot.notes.add(lagHot > 0 ? "lag at the end of the window ~" + grouped(lagHot) + " events (vs 1/5 of appends)"
                : "caught up at the end of the window");
        rHot.notes.add(grouped(gotHot) + " delivered of " + grouped(hotAppended) + " appended to '" + HOT + "', "
                + grouped(hot.disorder) + " version gaps" + (gotHot == hotAppended && hot.disorder == 0 && hot.error == null
                ? "" : " MISMATCH" + (hot.error != null ? " error " + hot.error : "")));
        report(rHot);
    }

    // ---------------------------------------------------------------- output

    private static void report(Result r) {
        results.add(r);
        System.out.printf(Locale.ROOT, "%-30s %12s events/s %11s calls/s %8.1f MB/s   (%s)%n", r.id, grouped(r.rate()),
                r.calls > 0 ? grouped(r.callRate()) : "-", r.rate() * DATA_SIZE / 1e6,
                String.join("; ", r.notes) + (r.retries > 0 ? "; overload retries " + grouped(r.retries) : ""));
    }

    private static void printTable() {
        System.out.println("| case | what | events/s | calls/s | data MB/s | log MB/s | best / worst 100 ms, events/s | overload retries |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %.1f | %s | %s | %s |%n", r.id, r.title,
                    grouped(r.rate()) + (r.foreign > 0.15 ? " (*)" : ""),
                    r.calls > 0 ? grouped(r.callRate()) : "",
                    r.rate() * DATA_SIZE / 1e6,
                    r.logBytes >= 0 ? String.format(Locale.ROOT, "%.1f", r.logBytes * 1e3 / r.nanos) : "",
                    r.best > 0 ? millions(r.best) + " / " + millions(r.worst) : "",
                    r.retries >= 0 ? grouped(r.retries) : "");
        }
        System.out.println();
        System.out.println("(*) other processes used more than 15% of a CPU during the case: treat as disturbed.");
        System.out.println("data MB/s: events/s x " + DATA_SIZE + " B of event data; log MB/s: framed records committed"
                + " per second (header, stream name, type and data).");
    }

    /** Millions with three significant digits at most: 12.97 M, 0.085 M. */
    static String millions(double v) {
        double m = v / 1e6;
        return String.format(Locale.ROOT, m >= 0.1 ? "%.2f M" : "%.3f M", m);
    }

    static String grouped(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    /** A JSON object of exactly {@code size} UTF-8 bytes. */
    static byte[] json(int size) {
        String head = "{\"orderId\":\"o-000123456\",\"customer\":\"c-00042\",\"amount\":1234.56,\"currency\":\"EUR\",\"note\":\"";
        String tail = "\"}";
        byte[] b = (head + "x".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
        if (b.length != size) {
            throw new IllegalStateException("payload is " + b.length + " bytes");
        }
        return b;
    }

    // ---------------------------------------------------------------- environment

    static String jvmDescription() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + "), max heap "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB, GC "
                + String.join("+", ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).toList());
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
        try (Stream<String> lines = Files.lines(file)) {
            return lines.filter(l -> l.startsWith(key)).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(null);
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    /** {busy ticks of the machine, ticks of this process, steal ticks, total ticks} (USER_HZ). */
    static long[] cpuTicks() {
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
            String self = Files.readString(Paths.get("/proc/self/stat"));
            String[] g = self.substring(self.lastIndexOf(')') + 2).split(" ");
            long own = Long.parseLong(g[11]) + Long.parseLong(g[12]);
            long busy = user + nice + system + irq + softirq;
            return new long[] {busy, own, steal, busy + idle + iowait + steal};
        } catch (IOException | RuntimeException e) {
            return new long[4];
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

    static long gcMillis() {
        long t = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, b.getCollectionTime());
        }
        return t;
    }

    static void sleepUntil(long deadline) throws InterruptedException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.max(1, left / 1_000_000));
        }
    }

    // ---------------------------------------------------------------- directories

    static long directoryBytes(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    static void deleteDir(Path dir) throws IOException {
        if (keep || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private StoreBenchmark() {
    }
}
