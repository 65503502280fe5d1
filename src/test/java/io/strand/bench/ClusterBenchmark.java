package io.strand.bench;

import io.strand.bench.ClusterBenchNode.ClusterView;
import io.strand.bench.HttpLoad.Latency;
import io.strand.bench.HttpLoad.Load;
import io.strand.bench.HttpLoad.Reply;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Three replicas against one node, on this machine, in one bounded run (about 4-5 minutes plus
 * Maven) against the packaged server ({@code java -jar target/quarkus-app/quarkus-run.jar}) started
 * as child JVMs on 127.0.0.1 ({@link ClusterBenchNode}):
 *
 * <pre>
 * ./mvnw -q -o -DskipTests package exec:exec -Dexec.executable=java \
 *     -Dexec.args="-cp %classpath io.strand.bench.ClusterBenchmark"
 * </pre>
 *
 * <p>Four servers run for the whole benchmark, each with a fresh data directory under
 * {@code target/bench-cluster} (deleted afterwards): one single node (replication off) and a
 * three-node Raft group (n1, n2, n3), free ports, 256 MiB segments, {@code -Xmx1g},
 * {@code quarkus.shutdown.delay=0s} (a stopped node goes at once), everything else default. The
 * client is a Vert.x {@link HttpClient} in this JVM ({@code loops} event loops, HTTP/1.1 keep-alive).
 * Every process shares the machine's CPUs; each phase prints the CPU every server, the client and
 * the rest of the machine took, from {@code /proc/<pid>/stat} (utime + stime) as % of one core.
 * Three-node rows also count the lines the members' Ratis clients logged about failed requests
 * (logger {@code OrderedAsync}: a timeout, a closed stream, a redirect), each a request sent again.
 *
 * <p>Phases:
 * <ol>
 *   <li>Throughput, closed loop ({@link HttpLoad.Load}, {@code connections} requests in flight,
 *       128 B JSON events, 1,000 streams round-robin): single events and batches of
 *       {@code batch}, on the single node (async and {@code Durability: fsync}) and on the group
 *       through the leader and through a follower. The cases run round-robin {@code rounds} times
 *       after {@code warmup-rounds} unmeasured ones (a JIT warm-up under the cases' own load, after
 *       the prewarm, which goes on until the servers' JIT compiler threads settle or {@code jit-settle} s passed),
 *       the order rotated every round (as {@link Rounds} does), and each three-node case is given as
 *       the median of its per-round ratio to the single node. The target: batches through the
 *       group at 50% or more of the single node's fsync rate.</li>
 *   <li>Latency, open loop: the same appends paced at half the group's measured peak through the
 *       leader (the same offered rate on the single node and through a follower), latency from each
 *       request's scheduled send time to its answer (no coordinated omission); target p99 under 20 ms.</li>
 *   <li>Bytes written per event, from the throughput phase: each node's Raft log (real entry bytes
 *       of its segments: Ratis preallocates the open one) and CommitLog growth (its committed
 *       position: segments are preallocated too), over the events acknowledged.</li>
 *   <li>Leader failover, {@code failovers} times: appends every 10 ms through a follower, SIGKILL the
 *       leader, time to the first 201 of an append sent after the kill; the killed node is started
 *       again and caught up before the next one.</li>
 *   <li>Follower catch-up: stop a follower (SIGKILL; SIGTERM with {@code catchup-stop=term}),
 *       write {@code catchup} MB of CommitLog (1 KiB events in batches of 100, through the leader),
 *       start it again, and time until its {@code /cluster} appliedPosition equals the leader's.
 *       SIGKILL by default (the harder case: no clean stop); {@code catchup-stop=term} stops it
 *       with SIGTERM (a member stopped so did not always start again before 2026-12-07, when
 *       Ratis's snapshot on stop could name a log metadata entry the CommitLog does not record;
 *       snapshots are now checked by CommitLog position and those entries are off).</li>
 * </ol>
 *
 * <p>A phase that needs the group runs only while all three members are live and ready, and a
 * node started again that cannot serve (liveness DOWN: its store did not open) fails the phase at
 * once; the node's ERROR lines are printed and the run directory is kept as evidence.
 *
 * <p>Arguments (all optional): {@code quick} (small sizes: 1 round, shorter windows, 50 MB catch-up,
 * 1 failover, no warm-up round), {@code rounds=3}, {@code warmup-rounds=1}, {@code warmup=1} and {@code measure=3} (s per throughput case),
 * {@code latency-warmup=15}, {@code latency-measure=10}, {@code prewarm=4}, {@code jit-settle=240}, {@code connections=64},
 * {@code loops=2}, {@code batch=100}, {@code streams=1000}, {@code catchup=200} (MB),
 * {@code catchup-stop=kill}, {@code failovers=3}, {@code phases=throughput,latency,failover,catchup,capped}, {@code rate=N} (single
 * events/s for the latency phase when the throughput phase is skipped), {@code heap=1024} (MiB per
 * server), {@code segment=256M}, {@code server=key=value} (a server property for every node,
 * repeatable), {@code jar=PATH}, {@code dir=PATH}, {@code keep} (keep data directories and node
 * logs), {@code timeout=900} (s: the run is stopped and every server killed after it), {@code cases=ID,...}
 * (only these throughput cases), {@code memory-limit=0} (MiB per server, its cgroup's; 0: none) and
 * {@code cpu-limit=0.5} (cores per server in the {@code -capped} cases; 0: no capped cases): see
 * {@link NodeLimits}; both need root (cgroups), and without it the run says so and goes on without.
 */
public final class ClusterBenchmark {
    private static final String TYPE = "BenchEvent";

    // ---------------------------------------------------------------- options

    static int rounds = 3;
    static double warmupSeconds = 1.0;
    static double measureSeconds = 3.0;
    /**
     * Each latency case's unmeasured start. The open-loop load deoptimizes code the prewarm compiled
     * (a new connection pool, other call-site types): with -XX:+PrintCompilation the leader compiled
     * AppendHandler.handle and Netty's HTTP decoder again from tier 3 in the case's first second, and
     * C2 went on for ~15 s, a third of the leader's CPU (perf). With 1 s, p99 through the leader was
     * 128-570 ms and through a follower 251-1,241 ms (four runs); with 15 s, 25 and 36 ms.
     */
    static double latencyWarmupSeconds = 15;
    /** Long enough that a p99 holds a few young GCs and Raft log forces of every replica, not one or none. */
    static double latencyMeasureSeconds = 10;
    static double prewarmSeconds = 4.0;
    /**
     * The longest the prewarm waits for the JIT to settle. Three replicas on two cores take
     * 160-200 s of load before their C2 compiles stop (counted with -XX:+PrintCompilation on
     * 2026-12-07; the single node, 80 s): with a one-minute cap, the first measured rounds ran
     * beside 25% of a core of compiling per replica and the rounds of one case spread 110-186 k events/s.
     */
    static double jitSettleSeconds = 240;
    /** Unmeasured rounds of every throughput case before the measured ones. */
    static int warmupRounds = 1;
    static int connections = 64;
    static int clientLoops = 2;
    static int batch = 100;
    static int streams = 1000;
    static long catchupBytes = 200L * 1_000_000;
    static int failovers = 3;
    static List<String> phases = List.of("throughput", "latency", "failover", "catchup", "capped");
    /** Throughput cases to run (their ids); empty: all. */
    static List<String> onlyCases = List.of();
    static boolean catchupKill = true;
    static double fixedRate = -1;
    static int heapMiB = 1024;
    static String segmentSize = "256M";
    static final List<String> serverProps = new ArrayList<>();
    /** JVM options of every server, the single node's too ({@code jvm=-XX:+Flag,-XX:-Other}): a way to try one. */
    static List<String> serverJvm = List.of();
    static Path jar = Paths.get("target", "quarkus-app", "quarkus-run.jar");
    static Path root = Paths.get("target", "bench-cluster");
    static boolean keep;
    static int timeoutSeconds = 900;
    /**
     * Each server's memory limit (MiB; 0: none), as a pod's: see {@link NodeLimits}. Off by
     * default: with it (2 GiB) batches ran faster on one node and three alike (the ratio did not
     * move), but on this machine's cgroup v1, which has no dirty-page throttling per cgroup, single
     * events through the leader fell to half after the batch cases had filled the limit with dirty pages.
     */
    static long memoryLimitMiB = 0;
    /** Each server's CPU in the capped cases (cores; 0: no capped cases). */
    static double cpuLimit = 0.5;

    // ---------------------------------------------------------------- state

    private static Vertx vertx;
    private static HttpClient client;
    private static ClusterBenchNode single;
    private static final List<ClusterBenchNode> members = new ArrayList<>();
    private static final List<ClusterBenchNode> all = new ArrayList<>();
    private static final AtomicLong sequence = new AtomicLong();
    private static final List<String> oddities = new ArrayList<>();
    private static final List<String> failures = new ArrayList<>();
    private static final long T0 = System.nanoTime();
    private static Buffer oneEvent;
    private static String limitsLine = "";
    private static Buffer manyEvents;

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
        Path run = root.resolve("run-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis());
        Files.createDirectories(run);
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeoutSeconds * 1000L);
                System.out.println("TIMEOUT: the run took more than " + timeoutSeconds + " s; stopping (every server is killed by the exit hook)");
                System.out.flush();
                System.exit(3);
            } catch (InterruptedException ignored) {
                // finished in time
            }
        }, "cluster-bench-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (ClusterBenchNode n : all) {
                n.destroyForcibly();
            }
            for (ClusterBenchNode n : all) {
                if (n.limits != null) {
                    n.awaitExit(5);
                    n.limits.close(); // a cgroup with no process left
                }
            }
        }, "cluster-bench-kill"));

        System.out.println("# Strand cluster benchmark: three replicas against one node");
        System.out.println();
        System.out.println("- machine: " + HttpBenchmark.machineDescription(run) + "; load average at the start: "
                + HttpBenchmark.loadAverage());
        System.out.println("- client JVM: " + HttpBenchmark.jvmDescription() + "; Vert.x client, " + clientLoops
                + " event loop(s), HTTP/1.1 keep-alive");
        oneEvent = Buffer.buffer(HttpBenchmark.event(HttpBenchmark.json(128)));
        manyEvents = Buffer.buffer(HttpBenchmark.batchBody(HttpBenchmark.json(128), batch));

        Report report = new Report();
        try {
            startServers(run);
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(clientLoops).setWorkerPoolSize(2)
                    .setInternalBlockingPoolSize(2).setBlockedThreadCheckInterval(10_000));
            client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setKeepAlive(true)
                    .setPipelining(false).setTcpNoDelay(true).setConnectTimeout(5000), new PoolOptions().setHttp1MaxSize(connections));
            runPhases(report);
        } catch (Exception | AssertionError e) {
            failures.add("the run stopped: " + e);
            e.printStackTrace(System.out);
        } finally {
            if (vertx != null) {
                try {
                    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    System.out.println("(client close: " + e + ")");
                }
            }
            stopServers(run);
        }
        System.out.printf(Locale.ROOT, "%n(total %.0f s; load average at the end: %s)%n%n", seconds(T0), HttpBenchmark.loadAverage());
        report.print();
        watchdog.interrupt();
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    private static void parseArg(String arg) {
        if (arg.isEmpty()) {
            return;
        }
        String[] kv = arg.split("=", 2);
        switch (kv[0]) {
            case "quick" -> {
                rounds = 1;
                warmupRounds = 0;
                warmupSeconds = 0.5;
                measureSeconds = 1.5;
                latencyWarmupSeconds = 0.5;
                latencyMeasureSeconds = 2;
                prewarmSeconds = 2;
                jitSettleSeconds = 30;
                catchupBytes = 50L * 1_000_000;
                failovers = 1;
            }
            case "rounds" -> rounds = Integer.parseInt(kv[1]);
            case "warmup" -> warmupSeconds = Double.parseDouble(kv[1]);
            case "measure" -> measureSeconds = Double.parseDouble(kv[1]);
            case "latency-warmup" -> latencyWarmupSeconds = Double.parseDouble(kv[1]);
            case "latency-measure" -> latencyMeasureSeconds = Double.parseDouble(kv[1]);
            case "prewarm" -> prewarmSeconds = Double.parseDouble(kv[1]);
            case "jit-settle" -> jitSettleSeconds = Double.parseDouble(kv[1]);
            case "connections" -> connections = Integer.parseInt(kv[1]);
            case "loops" -> clientLoops = Integer.parseInt(kv[1]);
            case "batch" -> batch = Integer.parseInt(kv[1]);
            case "streams" -> streams = Integer.parseInt(kv[1]);
            case "catchup" -> catchupBytes = (long) (Double.parseDouble(kv[1]) * 1_000_000);
            case "failovers" -> failovers = Integer.parseInt(kv[1]);
            case "phases" -> phases = List.of(kv[1].split(","));
            case "catchup-stop" -> catchupKill = switch (kv[1]) {
                case "kill" -> true;
                case "term" -> false;
                default -> throw new IllegalArgumentException("catchup-stop is term (SIGTERM) or kill (SIGKILL): " + kv[1]);
            };
            case "rate" -> fixedRate = Double.parseDouble(kv[1]);
            case "heap" -> heapMiB = Integer.parseInt(kv[1]);
            case "segment" -> segmentSize = kv[1];
            case "server" -> serverProps.add(kv[1]);
            case "jvm" -> serverJvm = kv[1].isEmpty() ? List.of() : List.of(kv[1].split(","));
            case "jar" -> jar = Paths.get(kv[1]);
            case "dir" -> root = Paths.get(kv[1]);
            case "keep" -> keep = true;
            case "cases" -> onlyCases = List.of(kv[1].split(","));
            case "warmup-rounds" -> warmupRounds = Integer.parseInt(kv[1]);
            case "timeout" -> timeoutSeconds = Integer.parseInt(kv[1]);
            case "memory-limit" -> memoryLimitMiB = Long.parseLong(kv[1]);
            case "cpu-limit" -> cpuLimit = Double.parseDouble(kv[1]);
            default -> throw new IllegalArgumentException("unknown argument: " + arg + " (known: quick, rounds=N, warmup=S,"
                    + " measure=S, latency-warmup=S, latency-measure=S, prewarm=S, jit-settle=S, connections=N, loops=N, batch=N, streams=N,"
                    + " catchup=MB, catchup-stop=term|kill, failovers=N, phases=throughput,latency,failover,catchup,capped, rate=N, heap=MiB, segment=SIZE,"
                    + " server=key=value, jar=PATH, dir=PATH, keep, timeout=S, cases=ID,ID, warmup-rounds=N, memory-limit=MiB, cpu-limit=CORES)");
        }
    }

    // ---------------------------------------------------------------- servers

    private static void startServers(Path run) throws Exception {
        int[] ports = freePorts(7);
        List<String> props = new ArrayList<>();
        props.add("strand.log.segment-size=" + segmentSize);
        props.add("quarkus.shutdown.delay=0s");
        props.addAll(serverProps);
        StringBuilder peers = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            peers.append(i == 0 ? "" : ",").append("n").append(i + 1).append("=127.0.0.1:").append(ports[1 + 2 * i])
                    .append(':').append(ports[2 + 2 * i]);
        }
        single = new ClusterBenchNode("single", false, ports[0], -1, run, jar, heapMiB, null, props, serverJvm);
        all.add(single);
        for (int i = 0; i < 3; i++) {
            ClusterBenchNode n = new ClusterBenchNode("n" + (i + 1), true, ports[2 + 2 * i], ports[1 + 2 * i], run, jar,
                    heapMiB, peers.toString(), props, serverJvm);
            members.add(n);
            all.add(n);
        }
        String noLimits = memoryLimitMiB > 0 || cpuLimit > 0 ? NodeLimits.unavailable() : "none asked for";
        if (noLimits == null) {
            for (ClusterBenchNode n : all) {
                n.limits = NodeLimits.create(n.id, memoryLimitMiB << 20);
            }
        } else {
            cpuLimit = 0;
        }
        limitsLine = noLimits == null ? all.get(0).limits.describe(cpuLimit, memoryLimitMiB << 20)
                : "no cgroup limits (" + noLimits + "): memory unlimited, no capped cases";
        long t = System.nanoTime();
        for (ClusterBenchNode n : all) {
            n.start();
        }
        try {
            for (ClusterBenchNode n : all) {
                n.awaitReady(180);
            }
        } catch (Exception e) {
            for (ClusterBenchNode n : all) {
                System.out.println("--- " + n.id + " (last lines of " + n.logFile + ")");
                System.out.println(n.tail(30));
            }
            throw e;
        }
        Roles r = roles(30);
        System.out.printf(Locale.ROOT, "- servers: one node (replication off) on :%d, and n1, n2, n3 (Raft peers %s), all ready"
                        + " %.1f s after start; leader %s; -Xmx%dm, %s segments, %s%n", single.httpPort, peers, seconds(t),
                r.leader, heapMiB, segmentSize, String.join(", ", props.subList(1, props.size())));
        System.out.println("- limits per server: " + limitsLine);
        System.out.println("- data and node logs in " + run + (keep ? " (kept)" : " (deleted at the end)"));
        System.out.println("- command of n1: " + String.join(" ", members.get(0).command()));
        System.out.println();
    }

    private static void stopServers(Path run) {
        List<Thread> stoppers = new ArrayList<>();
        Map<String, String> lines = new ConcurrentHashMap<>();
        for (ClusterBenchNode n : all) {
            Thread th = new Thread(() -> {
                try {
                    lines.put(n.id, n.stop(30));
                } catch (InterruptedException e) {
                    n.destroyForcibly();
                    lines.put(n.id, "interrupted: killed");
                }
            });
            th.start();
            stoppers.add(th);
        }
        for (Thread th : stoppers) {
            try {
                th.join(45_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ClusterBenchNode n : all) {
            if (n.limits != null && !n.alive()) {
                n.limits.close();
            }
        }
        System.out.println();
        for (ClusterBenchNode n : all) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            List<String> w = n.warnings(12, counts);
            long distinct = counts.keySet().stream().filter(k -> !k.startsWith("===")).count();
            System.out.println(n.id + ": " + lines.getOrDefault(n.id, "?") + "; " + (n.starts - 1) + " restart(s); "
                    + distinct + " distinct WARN/ERROR line(s) in its log" + (w.isEmpty() ? "" : ", first ones:"));
            for (String l : w) {
                if (!l.startsWith("===")) {
                    System.out.println("    " + l);
                }
            }
        }
        if (!keep && failures.isEmpty()) {
            try {
                HttpBenchServer.deleteDir(run);
                System.out.println("(" + run + " deleted)");
            } catch (IOException e) {
                System.out.println("could not delete " + run + ": " + e);
            }
        } else {
            System.out.println("(kept " + run + (failures.isEmpty() ? "" : ": a phase failed, node logs are the evidence") + ")");
        }
    }

    static int[] freePorts(int n) throws IOException {
        int[] p = new int[n];
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            do {
                p[i] = HttpBenchServer.freePort();
            } while (!seen.add(p[i]));
        }
        return p;
    }

    /** The group's leader and its followers (sorted by id), as the members report them. */
    record Roles(ClusterBenchNode leader, ClusterBenchNode follower, ClusterBenchNode follower2) {
        String of(ClusterBenchNode n) {
            return n == leader ? "L" : n == follower ? "F" : n == follower2 ? "F2" : "";
        }
    }

    static Roles roles(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            Map<String, Integer> votes = new java.util.HashMap<>();
            for (ClusterBenchNode n : members) {
                ClusterView v = n.alive() ? n.cluster() : null;
                if (v != null && v.leader() != null) {
                    votes.merge(v.leader(), 1, Integer::sum);
                }
            }
            String leader = votes.entrySet().stream().filter(e -> e.getValue() >= 2).map(Map.Entry::getKey).findFirst().orElse(null);
            ClusterBenchNode l = members.stream().filter(n -> n.id.equals(leader)).findFirst().orElse(null);
            if (l != null && l.alive()) {
                ClusterView lv = l.cluster();
                if (lv != null && "leader".equals(lv.role())) {
                    List<ClusterBenchNode> f = members.stream().filter(n -> n != l).sorted(Comparator.comparing(n -> n.id)).toList();
                    return new Roles(l, f.get(0), f.get(1));
                }
            }
            last = votes.toString();
            Thread.sleep(50);
        }
        throw new IllegalStateException("no leader agreed by a majority within " + seconds + " s (votes " + last + ")");
    }

    /** Waits until every running member has applied as far as the leader (the same appliedPosition); returns it, or -1. */
    static long settle(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            long pos = Long.MIN_VALUE;
            boolean same = true;
            for (ClusterBenchNode n : members) {
                if (!n.alive()) {
                    continue;
                }
                ClusterView v = n.cluster();
                if (v == null) {
                    same = false;
                    break;
                }
                if (pos == Long.MIN_VALUE) {
                    pos = v.appliedPosition();
                } else if (pos != v.appliedPosition()) {
                    same = false;
                }
            }
            if (same) {
                return pos;
            }
            Thread.sleep(20);
        }
        return -1;
    }

    // ---------------------------------------------------------------- client

    static Future<Reply> post(int port, String uri, Buffer body, boolean fsync, long timeoutMillis) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI(uri)
                .putHeader("Content-Type", "application/json");
        if (fsync) {
            o.putHeader("Durability", "fsync");
        }
        if (timeoutMillis > 0) {
            o.setIdleTimeout(timeoutMillis);
        }
        if (Vertx.currentContext() == null) {
            io.vertx.core.Promise<Reply> p = io.vertx.core.Promise.promise();
            vertx.getOrCreateContext().runOnContext(v -> send(o, body).onComplete(p));
            return p.future();
        }
        return send(o, body);
    }

    private static Future<Reply> send(RequestOptions o, Buffer body) {
        return client.request(o).compose(req -> req.send(body)).compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b)));
    }

    static HttpLoad.Request appends(ClusterBenchNode target, String prefix, Buffer body, boolean fsync) {
        int port = target.httpPort;
        return k -> post(port, "/streams/" + prefix + (k % streams), body, fsync, 60_000);
    }

    /**
     * Open loop: requests at a fixed rate, each scheduled at {@code t0 + i / rate}, sent from
     * {@code pacers} event-loop contexts on a 1 ms timer; latency from the scheduled time to the
     * answer. A request due while {@code maxOutstanding} are unanswered is dropped and counted.
     */
    static final class Paced {
        final HttpLoad.Request request;
        final double rate;
        final int pacers;
        final int maxOutstanding;
        final Latency latency = new Latency();
        final LongAdder ok = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder dropped = new LongAdder();
        final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
        final AtomicInteger outstanding = new AtomicInteger();
        final List<Long> timers = new ArrayList<>();
        volatile boolean stop;
        long t0;

        Paced(HttpLoad.Request request, double rate, int pacers, int maxOutstanding) {
            this.request = request;
            this.rate = rate;
            this.pacers = pacers;
            this.maxOutstanding = maxOutstanding;
        }

        Paced start() {
            t0 = System.nanoTime() + 5_000_000;
            for (int p = 0; p < pacers; p++) {
                int lane = p;
                Context ctx = vertx.getOrCreateContext();
                long[] next = {0};
                ctx.runOnContext(v -> {
                    synchronized (timers) {
                        timers.add(vertx.setPeriodic(1, id -> tick(lane, next)));
                    }
                });
            }
            return this;
        }

        private void tick(int lane, long[] next) {
            long now = System.nanoTime();
            while (!stop) {
                long i = next[0] * pacers + lane;
                long due = t0 + (long) (i * 1e9 / rate);
                if (due > now) {
                    return;
                }
                next[0]++;
                if (outstanding.get() >= maxOutstanding) {
                    dropped.increment();
                    continue;
                }
                outstanding.incrementAndGet();
                Future<Reply> f;
                try {
                    f = request.send(sequence.getAndIncrement());
                } catch (RuntimeException e) {
                    f = Future.failedFuture(e);
                }
                f.onComplete(ar -> {
                    outstanding.decrementAndGet();
                    if (ar.succeeded() && ar.result().status() == 201) {
                        latency.record(System.nanoTime() - due);
                        ok.increment();
                    } else {
                        errors.increment();
                        String kind = ar.failed() ? ar.cause().toString() : ar.result().status() + " "
                                + HttpLoad.abbreviate(String.valueOf(ar.result().body()));
                        errorKinds.computeIfAbsent(kind.length() > 160 ? kind.substring(0, 160) : kind, x -> new LongAdder()).increment();
                    }
                });
            }
        }

        void stopAndJoin(int seconds) throws InterruptedException {
            stop = true;
            synchronized (timers) {
                for (long id : timers) {
                    vertx.cancelTimer(id);
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (outstanding.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }

        String errorSummary() {
            if (errors.sum() == 0) {
                return "";
            }
            StringBuilder sb = new StringBuilder("ERRORS " + errors.sum() + ":");
            errorKinds.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum())).limit(3)
                    .forEach(e -> sb.append(" [").append(e.getKey()).append("] x ").append(e.getValue().sum()));
            return sb.toString();
        }
    }

    // ---------------------------------------------------------------- CPU

    /** CPU ticks at one moment: each server (by id; 0 when down), this JVM, and the whole machine. */
    static final class Cpu {
        final long nanos = System.nanoTime();
        final Map<String, Long> nodes = new LinkedHashMap<>();
        final Map<String, Long> pids = new LinkedHashMap<>();
        final long self;
        final long busy;
        final long total;

        Cpu() {
            for (ClusterBenchNode n : all) {
                nodes.put(n.id, n.cpuTicks());
                pids.put(n.id, n.pid());
            }
            self = ClusterBenchNode.processTicks(Paths.get("/proc/self/stat"));
            long[] m = machine();
            busy = m[0];
            total = m[1];
        }

        static long[] machine() {
            try {
                String[] f = Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
                long busy = 0;
                long total = 0;
                for (int i = 1; i < f.length && i <= 8; i++) {
                    long v = Long.parseLong(f[i]);
                    total += v;
                    if (i != 4 && i != 5) { // idle, iowait
                        busy += v;
                    }
                }
                return new long[] {busy, total};
            } catch (IOException | RuntimeException e) {
                return new long[2];
            }
        }
    }

    /** CPU over a phase, each figure as % of one core. */
    record CpuUse(String phase, Map<String, Double> nodes, Map<String, String> roles, double client, double others,
                  double machineBusy, double seconds) {
        static CpuUse between(String phase, Cpu a, Cpu b, Roles r) {
            double wallTicks = (b.total - a.total) / (double) Runtime.getRuntime().availableProcessors();
            Map<String, Double> m = new LinkedHashMap<>();
            Map<String, String> roles = new LinkedHashMap<>();
            double sum = 0;
            for (ClusterBenchNode n : all) {
                long before = a.pids.get(n.id).equals(b.pids.get(n.id)) ? a.nodes.get(n.id) : 0; // restarted: from 0
                double v = wallTicks <= 0 ? 0 : 100.0 * Math.max(0, b.nodes.get(n.id) - before) / wallTicks;
                m.put(n.id, v);
                sum += v;
                roles.put(n.id, r == null ? "" : r.of(n));
            }
            double client = wallTicks <= 0 ? 0 : 100.0 * (b.self - a.self) / wallTicks;
            double busy = wallTicks <= 0 ? 0 : 100.0 * (b.busy - a.busy) / wallTicks;
            return new CpuUse(phase, m, roles, client, Math.max(0, busy - sum - client), busy,
                    (b.nanos - a.nanos) / 1e9);
        }
    }

    // ---------------------------------------------------------------- bytes

    /** Per node: {Raft directory bytes, CommitLog committed position}. */
    static Map<String, long[]> diskBytes(List<ClusterBenchNode> nodes) throws IOException {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (ClusterBenchNode n : nodes) {
            m.put(n.id, new long[] {n.clustered ? n.raftBytes() : 0, n.committedPosition()});
        }
        return m;
    }

    // ---------------------------------------------------------------- phases

    private static boolean phase(String p) {
        return phases.contains(p);
    }

    private static void runPhases(Report report) throws Exception {
        if (prewarmSeconds > 0) {
            prewarm();
        }
        if (phase("throughput")) {
            attempt("throughput", () -> throughput(report));
        }
        if (phase("latency")) {
            attempt("latency", () -> latency(report));
        }
        // Failover before catch-up: a follower stopped with SIGTERM may not start again (see
        // requireHealthy), and every failover needs all three members.
        if (phase("failover")) {
            attempt("failover", () -> failover(report));
        }
        if (phase("catchup")) {
            attempt("catch-up", () -> catchUp(report));
        }
        if (phase("capped") && cpuLimit > 0) {
            attempt("capped", () -> capped(report));
        }
    }

    interface Body {
        void run() throws Exception;
    }

    private static void attempt(String what, Body body) {
        long t = System.nanoTime();
        try {
            body.run();
        } catch (Exception | AssertionError e) {
            failures.add(what + " FAILED: " + e);
            System.out.println(what + " FAILED: " + e);
            e.printStackTrace(System.out);
            for (ClusterBenchNode n : all) {
                System.out.println("--- " + n.id + " (" + (n.alive() ? "running" : "NOT RUNNING") + "), last lines of " + n.logFile);
                System.out.println(n.tail(25));
            }
        }
        System.out.printf(Locale.ROOT, "(%s: %.0f s)%n%n", what, seconds(t));
    }

    /** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
    static final double TICKS_PER_SECOND = 100;

    /** JIT warm-up of every server and the client: single events and batches on each, not measured. */
    private static void prewarm() throws Exception {
        Roles r = roles(30);
        Cpu c0 = new Cpu();
        List<Load> loads = new ArrayList<>();
        for (ClusterBenchNode n : List.of(single, r.leader, r.follower)) {
            loads.add(new Load(vertx, appends(n, "w-", oneEvent, false), 8, Long.MAX_VALUE, 201).start());
            loads.add(new Load(vertx, appends(n, "w-", manyEvents, false), 2, Long.MAX_VALUE, 201).start());
        }
        // At least prewarmSeconds, then on until the JIT has settled: every server's compiler threads
        // under 5% of a core over 5 s (a minute at most). Four JVMs share two cores here: a short
        // warm-up left the replicas compiling (up to half a core each) through the measured cases.
        Thread.sleep((long) (prewarmSeconds * 1000));
        long settleStart = System.nanoTime();
        double compiling;
        do {
            Map<ClusterBenchNode, Long> t0 = new LinkedHashMap<>();
            for (ClusterBenchNode n : List.of(single, r.leader, r.follower, r.follower2)) {
                t0.put(n, n.compilerTicks());
            }
            Thread.sleep(5000);
            compiling = 0;
            for (Map.Entry<ClusterBenchNode, Long> e : t0.entrySet()) {
                compiling = Math.max(compiling, (e.getKey().compilerTicks() - e.getValue()) * 100.0 / TICKS_PER_SECOND / 5);
            }
        } while (compiling > 5 && seconds(settleStart) < jitSettleSeconds);
        long calls = 0;
        StringBuilder errors = new StringBuilder();
        for (Load l : loads) {
            l.stopAndJoin(60);
            calls += l.calls();
            errors.append(l.errorSummary());
        }
        settle(30);
        CpuUse cpu = CpuUse.between("prewarm", c0, new Cpu(), r);
        System.out.printf(Locale.ROOT, "prewarm %.1f s (not measured): %,d requests%s; machine busy %.0f%% of one core;"
                + " JIT compiler threads at the end: %.0f%% of a core on the busiest server%n%n",
                cpu.seconds(), calls, errors.length() == 0 ? "" : "; " + errors, cpu.machineBusy(), compiling);
    }

    /**
     * Fails (with what the members logged) unless all three members run, are live and ready: a
     * member that could not open its store (liveness DOWN) never recovers by itself, and a phase
     * run on two members would measure something else.
     */
    static void requireHealthy(String phase) throws Exception {
        for (ClusterBenchNode n : members) {
            String why = !n.alive() ? "not running" : n.liveFailure();
            if (why == null) {
                try {
                    n.awaitReady(60);
                    continue;
                } catch (IllegalStateException e) {
                    why = e.getMessage();
                }
            }
            throw new IllegalStateException(phase + " needs all three members, but " + n.id + " cannot serve: " + why
                    + "\n" + n.id + " logged since its latest start:\n" + n.errorsSinceStart(12));
        }
    }

    /** Throws (with the node's errors since its start) when a node started again is not live: it will not recover. */
    static void checkLive(ClusterBenchNode n, String what) {
        if (!n.alive()) {
            throw new IllegalStateException(n.id + " exited " + what + "\n" + n.errorsSinceStart(12));
        }
        String failure = n.liveFailure();
        if (failure != null) {
            throw new IllegalStateException(n.id + " started again but cannot serve " + what + ": /q/health/live says "
                    + failure + "\n" + n.id + " logged since its latest start:\n" + n.errorsSinceStart(12));
        }
    }

    /**
     * A throughput case: where its requests go and what they carry; {@code capped}: every server
     * runs with its CPU capped at {@code cpu-limit} cores ({@link NodeLimits}), so the three replicas
     * have three times one node's CPU, as on three machines of its size.
     */
    record Case(String id, String title, String via, int eventsPerCall, boolean fsync, String baseline, String baseline2,
                boolean capped) {
        Case(String id, String title, String via, int eventsPerCall, boolean fsync, String baseline, String baseline2) {
            this(id, title, via, eventsPerCall, fsync, baseline, baseline2, false);
        }

        boolean clustered() {
            return !via.equals("single");
        }
    }

    static final List<Case> CASES = List.of(
            new Case("1n-single", "one node, single events", "single", 1, false, null, null),
            new Case("1n-single-fsync", "one node, single events, Durability: fsync", "single", 1, true, null, null),
            new Case("3n-single-leader", "three nodes, single events through the leader", "leader", 1, false, "1n-single", "1n-single-fsync"),
            new Case("3n-single-follower", "three nodes, single events through a follower", "follower", 1, false, "1n-single", "1n-single-fsync"),
            new Case("1n-batch", "one node, batches", "single", 0, false, null, null),
            new Case("1n-batch-fsync", "one node, batches, Durability: fsync", "single", 0, true, null, null),
            new Case("3n-batch-leader", "three nodes, batches through the leader", "leader", 0, false, "1n-batch", "1n-batch-fsync"),
            new Case("3n-batch-follower", "three nodes, batches through a follower", "follower", 0, false, "1n-batch", "1n-batch-fsync"),
            new Case("1n-batch-fsync-capped", "one node, batches, Durability: fsync, CPU capped", "single", 0, true, null, null, true),
            new Case("3n-batch-leader-capped", "three nodes, batches through the leader, each CPU capped", "leader", 0, false,
                    null, "1n-batch-fsync-capped", true),
            new Case("3n-batch-follower-capped", "three nodes, batches through a follower, each CPU capped", "follower", 0, false,
                    null, "1n-batch-fsync-capped", true));

    static int eventsPerCall(Case c) {
        return c.eventsPerCall == 0 ? batch : 1;
    }

    static ClusterBenchNode target(Case c, Roles r) {
        return switch (c.via) {
            case "single" -> single;
            case "leader" -> r.leader;
            default -> r.follower;
        };
    }

    /** One run of one throughput case. */
    record Run(Case c, int round, double rate, String latency, CpuUse cpu, long events, Map<String, long[]> bytes,
               String errors, String note, long clientFailures) {
    }

    private static void throughput(Report report) throws Exception {
        System.out.printf(Locale.ROOT, "## Throughput, closed loop: %d requests in flight, %.1f s warm-up + %.1f s measured per case,"
                + " %d round(s) after %d unmeasured one(s), order rotated each round%n%n", connections, warmupSeconds, measureSeconds,
                rounds, warmupRounds);
        rounds(report, false);
    }

    /**
     * The capped cases, last: run among the others they slowed the uncapped cases after them (single
     * events through the leader at half the rate of runs without them, its CPU per append up by half).
     */
    private static void capped(Report report) throws Exception {
        requireHealthy("the capped cases");
        System.out.printf(Locale.ROOT, "## Throughput, every server capped at %s core(s), closed loop as above%n%n", cpuLimit);
        rounds(report, true);
    }

    private static void rounds(Report report, boolean capped) throws Exception {
        // Warm-up rounds first (the same cases, not reported): the replicas' JIT keeps compiling long
        // after a light prewarm, and the heavy cases' own paths (entries of many commands) warm only under them.
        for (int round = -warmupRounds; round < rounds; round++) {
            for (int k = 0; k < CASES.size(); k++) {
                Case c = CASES.get((k + Math.max(0, round)) % CASES.size());
                if (!onlyCases.isEmpty() && !onlyCases.contains(c.id) || c.capped != capped) {
                    continue;
                }
                Run run = runCase(c, round);
                if (round < 0) {
                    System.out.printf(Locale.ROOT, "warm-up round %-19s %,10.0f events/s (not measured)%n", c.id, run.rate);
                    continue;
                }
                report.runs.add(run);
                System.out.printf(Locale.ROOT, "round %d %-19s %,10.0f events/s  p50/p99 %s ms  %s%s%s%s%n", round + 1, c.id,
                        run.rate, run.latency, cpuLine(run.cpu), run.clientFailures == 0 ? ""
                                : "  Raft client failures logged: " + run.clientFailures, run.errors.isEmpty() ? "" : "  " + run.errors,
                        run.note.isEmpty() ? "" : "  (" + run.note + ")");
            }
        }
        System.out.println();
    }

    private static Run runCase(Case c, int round) throws Exception {
        if (!c.capped) {
            return measureCase(c, round);
        }
        capAll(cpuLimit);
        try {
            return measureCase(c, round);
        } finally {
            capAll(0);
        }
    }

    /** Caps every server's CPU at {@code cores} (0: uncapped). */
    private static void capAll(double cores) throws IOException {
        for (ClusterBenchNode n : all) {
            if (n.alive()) {
                n.limits.capCpu(n.pid(), cores);
            }
        }
    }

    private static Run measureCase(Case c, int round) throws Exception {
        Roles r = roles(30);
        ClusterBenchNode target = target(c, r);
        int per = eventsPerCall(c);
        List<ClusterBenchNode> nodes = c.clustered() ? members : List.of(single);
        if (c.clustered()) {
            settle(30);
        }
        Map<String, long[]> b0 = diskBytes(nodes);
        long f0 = clientFailures();
        // The same stream names on every configuration (records carry the stream name: bytes per event compare alike).
        Load load = new Load(vertx, appends(target, per == 1 ? "s-" : "b-", per == 1 ? oneEvent : manyEvents, c.fsync), connections,
                Long.MAX_VALUE, 201).start();
        Thread.sleep((long) (warmupSeconds * 1000));
        Cpu cpu0 = new Cpu();
        long n0 = load.calls();
        load.latency.on = true;
        Thread.sleep((long) (measureSeconds * 1000));
        long n1 = load.calls();
        Cpu cpu1 = new Cpu();
        load.latency.on = false;
        load.stopAndJoin(60);
        String note = "";
        if (c.clustered()) {
            if (settle(30) < 0) {
                note = "the members had not applied the same position 30 s after the case";
                oddities.add(c.id + " round " + (round + 1) + ": " + note);
            }
            Roles after = roles(30);
            if (after.leader != r.leader) {
                note = (note.isEmpty() ? "" : note + "; ") + "LEADER CHANGED during the case: " + r.leader + " -> " + after.leader;
                oddities.add(c.id + " round " + (round + 1) + ": " + note);
            }
        }
        Map<String, long[]> b1 = diskBytes(nodes);
        Map<String, long[]> delta = new LinkedHashMap<>();
        for (String id : b1.keySet()) {
            long[] x = b0.get(id);
            long[] y = b1.get(id);
            delta.put(id, new long[] {y[0] - x[0], y[1] - x[1]});
        }
        double rate = (n1 - n0) * per * 1e9 / (cpu1.nanos - cpu0.nanos);
        String errors = load.errorSummary();
        if (!errors.isEmpty()) {
            oddities.add(c.id + " round " + (round + 1) + ": " + errors);
        }
        return new Run(c, round, rate, load.latency.summary(false), CpuUse.between(c.id, cpu0, cpu1, r),
                load.calls() * per, delta, errors, note, clientFailures() - f0);
    }

    /** Failed Raft client requests the members logged so far (each was sent again). */
    static long clientFailures() {
        long n = 0;
        for (ClusterBenchNode m : members) {
            n += m.raftClientFailures();
        }
        return n;
    }

    static String cpuLine(CpuUse u) {
        StringBuilder sb = new StringBuilder("CPU%:");
        for (Map.Entry<String, Double> e : u.nodes().entrySet()) {
            String role = u.roles().get(e.getKey());
            sb.append(String.format(Locale.ROOT, " %s%s %.0f", e.getKey(), role.isEmpty() ? "" : "(" + role + ")", e.getValue()));
        }
        sb.append(String.format(Locale.ROOT, " client %.0f others %.0f; machine %.0f of %d00", u.client(), u.others(),
                u.machineBusy(), Runtime.getRuntime().availableProcessors()));
        return sb.toString();
    }

    /** One latency case. */
    record LatencyRun(String id, String title, double offered, double achieved, int eventsPerCall, String latency,
                      double p99, long dropped, String errors, CpuUse cpu, long clientFailures) {
    }

    private static void latency(Report report) throws Exception {
        double singleRate = fixedRate > 0 ? fixedRate : 0.5 * report.median("3n-single-leader");
        double batchRate = fixedRate > 0 ? fixedRate / batch : 0.5 * report.median("3n-batch-leader") / batch;
        if (!(singleRate > 0) || !(batchRate > 0)) {
            throw new IllegalStateException("no peak rate measured: run the throughput phase or give rate=N");
        }
        report.latencyRates = new double[] {singleRate, batchRate * batch};
        System.out.printf(Locale.ROOT, "## Latency, open loop at half the group's closed-loop peak through the leader: %,.0f single"
                        + " events/s and %,.1f batches/s (%,.0f events/s); %.1f s warm-up + %.1f s measured%n%n", singleRate,
                batchRate, batchRate * batch, latencyWarmupSeconds, latencyMeasureSeconds);
        for (Case c : CASES) {
            if (c.id.equals("1n-batch") || c.id.equals("1n-single-fsync") || c.capped) {
                continue;
            }
            int per = eventsPerCall(c);
            double rate = per == 1 ? singleRate : batchRate;
            Roles r = roles(30);
            if (c.clustered()) {
                settle(30);
            }
            ClusterBenchNode target = target(c, r);
            long f0 = clientFailures();
            Paced p = new Paced(appends(target, per == 1 ? "s-" : "b-", per == 1 ? oneEvent : manyEvents, c.fsync), rate,
                    clientLoops, 4096).start();
            Thread.sleep((long) (latencyWarmupSeconds * 1000));
            Cpu cpu0 = new Cpu();
            long ok0 = p.ok.sum();
            p.latency.on = true;
            Thread.sleep((long) (latencyMeasureSeconds * 1000));
            p.latency.on = false;
            long ok1 = p.ok.sum();
            Cpu cpu1 = new Cpu();
            p.stopAndJoin(60);
            double[] q = p.latency.percentilesMs(0.5, 0.99, 0.999);
            LatencyRun run = new LatencyRun(c.id, c.title, rate, (ok1 - ok0) * 1e9 / (cpu1.nanos - cpu0.nanos), per,
                    p.latency.summary(true), q[1], p.dropped.sum(), p.errorSummary(), CpuUse.between("latency " + c.id, cpu0, cpu1, r),
                    c.clustered() ? clientFailures() - f0 : 0);
            report.latencies.add(run);
            if (!run.errors.isEmpty() || run.dropped > 0) {
                oddities.add("latency " + c.id + ": " + run.errors + (run.dropped > 0 ? " dropped " + run.dropped : ""));
            }
            System.out.printf(Locale.ROOT, "%-19s offered %,8.1f req/s achieved %,8.1f  p50/p99/p99.9 %s ms%s  %s%s%n", c.id, rate,
                    run.achieved, run.latency, run.errors.isEmpty() && run.dropped == 0 ? ""
                            : "  dropped " + run.dropped + " " + run.errors, cpuLine(run.cpu),
                    run.clientFailures == 0 ? "" : "  Raft client failures logged: " + run.clientFailures);
            System.out.println("    slowest seconds: " + p.latency.worstSeconds(3));
        }
        System.out.println();
    }

    /** The follower catch-up phase's figures. */
    record CatchUp(String follower, long behindBytes, double writeSeconds, double startToUp, double upToCaught,
                   long positionAtUp, CpuUse writeCpu, CpuUse catchCpu, String stopLine) {
        double mbPerSecond() {
            return behindBytes / 1e6 / upToCaught;
        }

        double mbPerSecondFromStart() {
            return behindBytes / 1e6 / (startToUp + upToCaught);
        }
    }

    private static void catchUp(Report report) throws Exception {
        requireHealthy("catch-up");
        Roles r = roles(30);
        settle(30);
        ClusterBenchNode f = r.follower;
        System.out.printf(Locale.ROOT, "## Follower catch-up: stop %s (%s), write %,.0f MB of CommitLog through %s (1 KiB events,"
                + " batches of 100), start %s again%n%n", f.id, catchupKill ? "SIGKILL" : "SIGTERM", catchupBytes / 1e6, r.leader.id, f.id);
        long pF = f.committedPosition();
        String stopLine = catchupKill ? "killed (SIGKILL)" : f.stop(30);
        if (catchupKill) {
            f.kill();
        }
        long p0 = r.leader.committedPosition();
        Buffer kib = Buffer.buffer(HttpBenchmark.batchBody(HttpBenchmark.json(1024), 100));
        Cpu w0 = new Cpu();
        long tw = System.nanoTime();
        Load load = new Load(vertx, appends(r.leader, "catchup-", kib, false), 8, Long.MAX_VALUE, 201).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        long p = p0;
        while (p - p0 < catchupBytes && System.nanoTime() < deadline) {
            Thread.sleep(100);
            long q = r.leader.committedPosition();
            p = q < 0 ? p : q;
        }
        load.stopAndJoin(60);
        double writeSeconds = seconds(tw);
        settle(60);
        Cpu w1 = new Cpu();
        if (!load.errorSummary().isEmpty()) {
            oddities.add("catch-up writes: " + load.errorSummary());
        }
        long p1 = r.leader.committedPosition();
        if (p1 - p0 < catchupBytes) {
            throw new IllegalStateException("only " + (p1 - p0) + " bytes written in 180 s");
        }
        f.start();
        long tStart = f.startedNanos;
        long tUp = -1;
        long posUp = -1;
        Cpu c0 = null;
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        long tCaught = -1;
        int polls = 0;
        while (System.nanoTime() < deadline) {
            if (!f.alive() || polls++ % 20 == 0) {
                checkLive(f, "after its restart in the catch-up phase (stopped by " + (catchupKill ? "SIGKILL" : "SIGTERM") + ")");
            }
            ClusterView v = f.cluster();
            long now = System.nanoTime();
            if (v != null && tUp < 0) {
                tUp = now;
                posUp = v.appliedPosition();
                c0 = new Cpu();
            }
            if (v != null && v.appliedPosition() >= p1) {
                tCaught = now;
                break;
            }
            Thread.sleep(v == null ? 20 : 10);
        }
        if (tCaught < 0) {
            ClusterView v = f.cluster();
            throw new IllegalStateException(f.id + " did not catch up within 300 s of its restart: applied "
                    + (v == null ? "?" : v.appliedPosition()) + " of " + p1);
        }
        Cpu c1 = new Cpu();
        CatchUp cu = new CatchUp(f.id, p1 - pF, writeSeconds, (tUp - tStart) / 1e9, (tCaught - tUp) / 1e9, posUp,
                CpuUse.between("catch-up writes (" + f.id + " down)", w0, w1, r), CpuUse.between("catch-up (" + f.id + " applying)", c0, c1, r),
                stopLine);
        report.catchUp = cu;
        System.out.printf(Locale.ROOT, "%s %s; %,.1f MB written in %.1f s (%.0f MB/s with two of three up)%n", f.id, stopLine,
                (p1 - p0) / 1e6, writeSeconds, (p1 - p0) / 1e6 / writeSeconds);
        System.out.printf(Locale.ROOT, "%s behind by %,.1f MB; JVM start to /cluster answering %.1f s (applied then: %,.1f MB behind);"
                        + " then caught up in %.2f s: %.0f MB/s (%.0f MB/s counting from the JVM start)%n", f.id, cu.behindBytes / 1e6,
                cu.startToUp, (p1 - posUp) / 1e6, cu.upToCaught, cu.mbPerSecond(), cu.mbPerSecondFromStart());
        System.out.println("writes: " + cpuLine(cu.writeCpu));
        System.out.println("catch-up: " + cpuLine(cu.catchCpu));
        f.awaitReady(60);
        System.out.println();
    }

    /** One leader failover. */
    record Failover(int n, String killed, String via, String newLeader, double electedAfter, double firstAckAfter,
                    int inFlightAtKill, String inFlightOutcome, long errorsAfterKill, String errorKinds, double upAfter,
                    double caughtUpAfter, CpuUse cpu, boolean failed, long clientFailures) {
    }

    private static void failover(Report report) throws Exception {
        System.out.printf(Locale.ROOT, "## Leader failover, %d time(s): one append every 10 ms through a follower; SIGKILL the leader;"
                + " time to the first 201 of an append sent after the kill%n%n", failovers);
        for (int i = 1; i <= failovers; i++) {
            requireHealthy("failover " + i);
            Roles r = roles(60);
            settle(30);
            ClusterBenchNode leader = r.leader;
            ClusterBenchNode via = r.follower;
            ConcurrentLinkedQueue<long[]> records = new ConcurrentLinkedQueue<>(); // {sent, done, status}
            Map<String, LongAdder> kinds = new ConcurrentHashMap<>();
            AtomicInteger outstanding = new AtomicInteger();
            int port = via.httpPort;
            Context ctx = vertx.getOrCreateContext();
            long[] timer = {-1};
            ctx.runOnContext(v -> timer[0] = vertx.setPeriodic(10, id -> {
                long sent = System.nanoTime();
                outstanding.incrementAndGet();
                post(port, "/streams/failover-" + (sequence.getAndIncrement() % 10), oneEvent, false, 40_000).onComplete(ar -> {
                    outstanding.decrementAndGet();
                    int status = ar.succeeded() ? ar.result().status() : -1;
                    records.add(new long[] {sent, System.nanoTime(), status});
                    if (status != 201) {
                        String kind = ar.failed() ? ar.cause().getClass().getSimpleName() + ": " + ar.cause().getMessage()
                                : status + " " + HttpLoad.abbreviate(String.valueOf(ar.result().body()));
                        kinds.computeIfAbsent(kind.length() > 160 ? kind.substring(0, 160) : kind, x -> new LongAdder()).increment();
                    }
                });
            }));
            // Appends flowing first: at least one acknowledged (a busy machine may take seconds), then one more second.
            long flowing = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (records.stream().noneMatch(x -> x[2] == 201) && System.nanoTime() < flowing) {
                Thread.sleep(10);
            }
            Thread.sleep(1000);
            long okBefore = records.stream().filter(x -> x[2] == 201).count();
            Cpu cpu0 = new Cpu();
            long f0 = clientFailures();
            // Watch the follower's view for the new leader while the old one dies.
            AtomicLong elected = new AtomicLong(-1);
            java.util.concurrent.atomic.AtomicReference<String> newLeader = new java.util.concurrent.atomic.AtomicReference<>();
            AtomicLong tKill = new AtomicLong(Long.MAX_VALUE);
            Thread watcher = new Thread(() -> {
                while (elected.get() < 0 && !Thread.currentThread().isInterrupted()) {
                    ClusterView v = via.cluster();
                    if (v != null && v.leader() != null && !v.leader().equals(leader.id) && System.nanoTime() > tKill.get()) {
                        newLeader.set(v.leader());
                        elected.set(System.nanoTime());
                        return;
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "failover-watch");
            watcher.setDaemon(true);
            watcher.start();
            long kill = leader.kill();
            tKill.set(kill);
            long deadline = kill + TimeUnit.SECONDS.toNanos(60);
            long firstAck = -1;
            while (System.nanoTime() < deadline && firstAck < 0) {
                Thread.sleep(5);
                firstAck = records.stream().filter(x -> x[0] >= kill && x[2] == 201).mapToLong(x -> x[1]).min().orElse(-1);
            }
            Thread.sleep(300); // a few acknowledged appends after the first
            ctx.runOnContext(v -> vertx.cancelTimer(timer[0]));
            long waitEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
            while (outstanding.get() > 0 && System.nanoTime() < waitEnd) {
                Thread.sleep(10);
            }
            watcher.join(2000);
            watcher.interrupt();
            Cpu cpu1 = new Cpu();
            long failedRequests = clientFailures() - f0;
            List<long[]> rs = new ArrayList<>(records);
            List<long[]> inFlight = rs.stream().filter(x -> x[0] < kill && x[1] > kill).toList();
            Map<Integer, Long> inFlightStatus = new java.util.TreeMap<>();
            double inFlightMax = 0;
            for (long[] x : inFlight) {
                inFlightStatus.merge((int) x[2], 1L, Long::sum);
                inFlightMax = Math.max(inFlightMax, (x[1] - x[0]) / 1e9);
            }
            long errorsAfter = rs.stream().filter(x -> x[1] > kill && x[2] != 201).count();
            boolean failed = okBefore == 0 || firstAck < 0;
            String killedId = leader.id;
            Roles after = null;
            double up = -1;
            double caught = -1;
            // Start the killed node again; wait until it has applied as far as the new leader.
            leader.start();
            long tStart = leader.startedNanos;
            try {
                after = roles(60);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                int polls = 0;
                while (System.nanoTime() < end) {
                    if (!leader.alive() || polls++ % 20 == 0) {
                        checkLive(leader, "after the SIGKILL of failover " + i);
                    }
                    ClusterView v = leader.cluster();
                    if (v != null && up < 0) {
                        up = seconds(tStart);
                    }
                    ClusterView lv = after.leader.cluster();
                    if (v != null && lv != null && v.appliedPosition() == lv.appliedPosition()) {
                        caught = seconds(tStart);
                        break;
                    }
                    Thread.sleep(20);
                }
                leader.awaitReady(120);
            } catch (Exception e) {
                failures.add("failover " + i + ": the killed node " + killedId + " did not rejoin: " + e.getMessage());
                System.out.println("failover " + i + ": the killed node " + killedId + " did not rejoin: " + e.getMessage());
            }
            Failover fo = new Failover(i, killedId, via.id, newLeader.get(), elected.get() < 0 ? -1 : (elected.get() - kill) / 1e9,
                    firstAck < 0 ? -1 : (firstAck - kill) / 1e9, inFlight.size(),
                    inFlight.isEmpty() ? "" : inFlightStatus + String.format(Locale.ROOT, ", longest %.2f s", inFlightMax),
                    errorsAfter, kinds.toString(), up, caught, CpuUse.between("failover " + i, cpu0, cpu1, r), failed, failedRequests);
            report.failovers.add(fo);
            System.out.printf(Locale.ROOT, "failover %d: killed %s (leader), appends through %s: new leader %s known after %.2f s,"
                            + " first 201 after %s; %d append(s) in flight at the kill %s; %d non-201 after the kill %s;"
                            + " %s back: /cluster after %.1f s, caught up after %.1f s; Raft client failures logged: %d%n", i, killedId, via.id, newLeader.get(),
                    fo.electedAfter, fo.firstAckAfter < 0 ? "NONE within 60 s" : secs(fo.firstAckAfter), fo.inFlightAtKill, fo.inFlightOutcome, errorsAfter,
                    errorsAfter == 0 ? "" : kinds.toString(), killedId, up, caught, failedRequests);
            if (failed) {
                String why = okBefore == 0 ? "no append through " + via.id + " was acknowledged within 60 s before the kill"
                        : "no append sent after the kill was acknowledged within 60 s";
                failures.add("failover " + i + " FAILED: " + why);
                System.out.println("failover " + i + " FAILED: " + why + "; node logs:");
                for (ClusterBenchNode n : members) {
                    System.out.println("--- " + n.id + ", last lines of " + n.logFile);
                    System.out.println(n.tail(40));
                }
            }
        }
        System.out.println();
    }

    // ---------------------------------------------------------------- report

    static final class Report {
        final List<Run> runs = new ArrayList<>();
        final List<LatencyRun> latencies = new ArrayList<>();
        final List<Failover> failovers = new ArrayList<>();
        CatchUp catchUp;
        double[] latencyRates;

        double[] rates(String id) {
            return runs.stream().filter(r -> r.c.id.equals(id)).sorted(Comparator.comparingInt(Run::round))
                    .mapToDouble(Run::rate).toArray();
        }

        double median(String id) {
            double[] v = rates(id);
            return v.length == 0 ? Double.NaN : ClusterBenchmark.median(v);
        }

        /** The median of the per-round ratios of case {@code id} to {@code base}. */
        double ratio(String id, String base) {
            double[] a = rates(id);
            double[] b = rates(base);
            int n = Math.min(a.length, b.length);
            if (n == 0) {
                return Double.NaN;
            }
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = a[i] / b[i];
            }
            return ClusterBenchmark.median(r);
        }

        /** Mean CPU use over the rounds of one case. */
        CpuUse cpu(String id) {
            List<CpuUse> us = runs.stream().filter(r -> r.c.id.equals(id)).map(Run::cpu).toList();
            if (us.isEmpty()) {
                return null;
            }
            Map<String, Double> nodes = new LinkedHashMap<>();
            for (CpuUse u : us) {
                u.nodes().forEach((k, v) -> nodes.merge(k, v / us.size(), Double::sum));
            }
            return new CpuUse(id, nodes, us.get(us.size() - 1).roles(), us.stream().mapToDouble(CpuUse::client).average().orElse(0),
                    us.stream().mapToDouble(CpuUse::others).average().orElse(0),
                    us.stream().mapToDouble(CpuUse::machineBusy).average().orElse(0), 0);
        }

        void print() {
            int ncpu = Runtime.getRuntime().availableProcessors();
            System.out.println("## Results");
            System.out.println();
            if (!runs.isEmpty()) {
                System.out.printf(Locale.ROOT, "Throughput (closed loop, %d in flight, 128 B events, batches of %d; %d round(s), median"
                        + " events/s and the median of the per-round ratios):%n%n", connections, batch, rounds);
                System.out.println("| case | events/s | min - max | vs one node | vs one node, fsync | latency p50 / p99, ms | Raft client failures |");
                System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
                for (Case c : CASES) {
                    double[] v = rates(c.id);
                    if (v.length == 0) {
                        continue;
                    }
                    double[] s = v.clone();
                    Arrays.sort(s);
                    String lat = runs.stream().filter(r -> r.c.id.equals(c.id)).map(Run::latency).reduce((a, b) -> b).orElse("");
                    long failed = runs.stream().filter(r -> r.c.id.equals(c.id)).mapToLong(Run::clientFailures).sum();
                    System.out.printf(Locale.ROOT, "| %s: %s | %s | %s - %s | %s | %s | %s | %s |%n", c.id, c.title, grouped(ClusterBenchmark.median(v)),
                            grouped(s[0]), grouped(s[s.length - 1]), c.baseline == null ? "" : times(ratio(c.id, c.baseline)),
                            c.baseline2 == null ? "" : times(ratio(c.id, c.baseline2)), lat, c.clustered() ? grouped(failed) : "");
                }
                System.out.println();
            }
            if (!latencies.isEmpty()) {
                System.out.printf(Locale.ROOT, "Latency (open loop, the same offered rate everywhere: half the group's peak through the"
                        + " leader; from scheduled send to answer):%n%n");
                System.out.println("| case | offered events/s | achieved events/s | p50 / p99 / p99.9, ms | Raft client failures |");
                System.out.println("| --- | ---: | ---: | ---: | ---: |");
                for (LatencyRun l : latencies) {
                    System.out.printf(Locale.ROOT, "| %s | %s | %s%s | %s | %s |%n", l.id, grouped(l.offered * l.eventsPerCall),
                            grouped(l.achieved * l.eventsPerCall), l.dropped > 0 || !l.errors.isEmpty() ? " (errors)" : "", l.latency,
                            l.id.startsWith("3n") ? grouped(l.clientFailures) : "");
                }
                System.out.println();
            }
            if (!runs.isEmpty()) {
                printBytes();
            }
            if (catchUp != null) {
                CatchUp c = catchUp;
                System.out.printf(Locale.ROOT, "Follower catch-up: %s was %,.1f MB of CommitLog behind; /cluster answered %.1f s after"
                                + " its JVM started, then it caught up in %.2f s: **%.0f MB/s** (%.0f MB/s counting the JVM start)."
                                + " The writes ran at %.0f MB/s with two of three members up.%n%n", c.follower, c.behindBytes / 1e6,
                        c.startToUp, c.upToCaught, c.mbPerSecond(), c.mbPerSecondFromStart(), c.behindBytes / 1e6 / c.writeSeconds);
            }
            if (!failovers.isEmpty()) {
                System.out.println("Leader failover (SIGKILL; appends every 10 ms through a follower):");
                System.out.println();
                System.out.println("| # | killed | appends via | new leader | leader known after | first 201 after | in flight at the kill"
                        + " | non-201 after the kill | Raft client failures | killed node caught up after |");
                System.out.println("| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: |");
                for (Failover f : failovers) {
                    System.out.printf(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %d %s | %d | %d | %s |%n", f.n, f.killed, f.via,
                            f.newLeader, secs(f.electedAfter), f.failed ? "FAILED" : "**" + secs(f.firstAckAfter) + "**",
                            f.inFlightAtKill, f.inFlightOutcome, f.errorsAfterKill, f.clientFailures, secs(f.caughtUpAfter));
                }
                System.out.println();
            }
            printCpu();
            System.out.println("Targets (issue):");
            if (!runs.isEmpty()) {
                double r = ratio("3n-batch-leader", "1n-batch-fsync");
                double rf = ratio("3n-batch-follower", "1n-batch-fsync");
                System.out.printf(Locale.ROOT, "- batches of %d on three nodes >= 50%% of one node's fsync rate, the three sharing the"
                        + " cores one node has to itself: %.0f%% through the leader, %.0f%% through a follower: %s%n", batch, 100 * r,
                        100 * rf, r >= 0.5 ? "met" : "MISSED");
                double rc = ratio("3n-batch-leader-capped", "1n-batch-fsync-capped");
                double rcf = ratio("3n-batch-follower-capped", "1n-batch-fsync-capped");
                if (!Double.isNaN(rc)) {
                    System.out.printf(Locale.ROOT, "- the same, every server capped at %s core(s) (three nodes have three times one"
                            + " node's CPU, as on three machines of its size): %.0f%% through the leader, %.0f%% through a"
                            + " follower: %s%n", cpuLimit, 100 * rc, 100 * rcf, rc >= 0.5 ? "met" : "MISSED");
                }
            }
            for (LatencyRun l : latencies) {
                if (l.id.startsWith("3n-single")) {
                    System.out.printf(Locale.ROOT, "- p99 < 20 ms at half the peak, single events, %s: %.1f ms: %s%n", l.id, l.p99,
                            l.p99 < 20 ? "met" : "MISSED");
                }
            }
            if (!failovers.isEmpty()) {
                boolean met = failovers.stream().allMatch(f -> !f.failed && f.firstAckAfter < 5);
                System.out.printf(Locale.ROOT, "- leader failover < 5 s: %s: %s%n", String.join(", ", failovers.stream()
                        .map(f -> f.failed ? "FAILED" : secs(f.firstAckAfter)).toList()), met ? "met" : "MISSED");
            }
            System.out.println();
            printBounds(ncpu);
            if (!oddities.isEmpty()) {
                System.out.println();
                System.out.println("Odd:");
                oddities.forEach(o -> System.out.println("- " + o));
            }
            if (!failures.isEmpty()) {
                System.out.println();
                System.out.println("FAILURES:");
                failures.forEach(o -> System.out.println("- " + o));
            }
        }

        private void printBytes() {
            // Per node and kind (single events, batches): bytes and events over every round.
            System.out.println("Bytes written per event (real bytes: Raft log entries as Ratis wrote them, CommitLog committed"
                    + " position growth; over every throughput case, warm-up included):");
            System.out.println();
            System.out.println("| node | single events: Raft log + CommitLog = total | batches: Raft log + CommitLog = total |");
            System.out.println("| --- | ---: | ---: |");
            for (ClusterBenchNode n : all) {
                StringBuilder row = new StringBuilder("| " + n.id + (n.clustered ? "" : " (replication off)") + " |");
                for (boolean singles : new boolean[] {true, false}) {
                    long raft = 0;
                    long log = 0;
                    long events = 0;
                    for (Run r : runs) {
                        long[] d = r.bytes.get(n.id);
                        if (d == null || (eventsPerCall(r.c) == 1) != singles) {
                            continue;
                        }
                        raft += d[0];
                        log += d[1];
                        events += r.events;
                    }
                    row.append(events == 0 ? " |" : String.format(Locale.ROOT, " %.0f + %.0f = **%.0f** |", raft / (double) events,
                            log / (double) events, (raft + log) / (double) events));
                }
                System.out.println(row);
            }
            long purged = members.stream().mapToLong(m -> m.purgedSegments).sum();
            System.out.printf(Locale.ROOT, "%nEvent: 128 B of JSON data, %d B as sent (type and data); CommitLog record: 64 B header +"
                    + " type + data, padded to 8.%s%n%n", oneEvent.length(), purged > 0 ? " Ratis purged " + purged
                    + " Raft log segment(s) after snapshots during the run (counted at the size last seen)." : "");
        }

        private void printCpu() {
            List<CpuUse> rows = new ArrayList<>();
            for (Case c : CASES) {
                CpuUse u = cpu(c.id);
                if (u != null) {
                    rows.add(u);
                }
            }
            for (LatencyRun l : latencies) {
                rows.add(l.cpu);
            }
            if (catchUp != null) {
                rows.add(catchUp.writeCpu);
                rows.add(catchUp.catchCpu);
            }
            for (Failover f : failovers) {
                rows.add(f.cpu);
            }
            if (rows.isEmpty()) {
                return;
            }
            int ncpu = Runtime.getRuntime().availableProcessors();
            System.out.printf(Locale.ROOT, "CPU per process over each phase, %% of one core (the machine has %d: %d00%% in all; L leader,"
                    + " F the follower appended through, F2 the other):%n%n", ncpu, ncpu);
            StringBuilder head = new StringBuilder("| phase |");
            StringBuilder line = new StringBuilder("| --- |");
            for (ClusterBenchNode n : all) {
                head.append(' ').append(n.id).append(" |");
                line.append(" ---: |");
            }
            System.out.println(head + " client | others | machine |");
            System.out.println(line + " ---: | ---: | ---: |");
            for (CpuUse u : rows) {
                StringBuilder sb = new StringBuilder("| " + u.phase() + " |");
                for (ClusterBenchNode n : all) {
                    String role = u.roles().getOrDefault(n.id, "");
                    sb.append(String.format(Locale.ROOT, " %.0f%s |", u.nodes().getOrDefault(n.id, 0.0), role.isEmpty() ? "" : " " + role));
                }
                sb.append(String.format(Locale.ROOT, " %.0f | %.0f | %.0f |", u.client(), u.others(), u.machineBusy()));
                System.out.println(sb);
            }
            System.out.println();
        }

        private void printBounds(int ncpu) {
            System.out.printf(Locale.ROOT, "What bounds these figures: four server JVMs (the one node, idle during the three-node"
                    + " cases, and the three replicas, idle during the one-node cases) and the client share this machine's %d"
                    + " CPU(s): every replica applies every event, so a three-node case runs three servers' work on the cores one"
                    + " node has to itself.%n", ncpu);
            CpuUse s = cpu("1n-single");
            CpuUse l = cpu("3n-single-leader");
            double rs = median("1n-single");
            double rl = median("3n-single-leader");
            if (s != null && l != null && rs > 0 && rl > 0) {
                double one = s.nodes().get("single") / 100 / rs * 1e6;
                double three = members.stream().mapToDouble(m -> l.nodes().get(m.id)).sum() / 100 / rl * 1e6;
                System.out.printf(Locale.ROOT, "- single events: one node kept the machine %.0f%% busy (of %d00%%) at %s events/s, %.0f us of"
                                + " server CPU per event; three nodes through the leader kept it %.0f%% busy at %s events/s, %.0f us of"
                                + " replica CPU per event (%.0fx).%n", s.machineBusy(), ncpu, grouped(rs), one, l.machineBusy(),
                        grouped(rl), three, three / one);
            }
            double rb = median("3n-batch-leader");
            if (rl > 0 && rb > 0) {
                System.out.printf(Locale.ROOT, "- the group acknowledged %s appends/s of single events and %s appends/s of batches of %d"
                                + " (%s events/s): %dx the events per append at %.1fx the append rate. A member puts the appends"
                                + " that reach it while its Raft entry is on its way into its next entry, so an entry's own cost"
                                + " (its Raft log forces, round trips, hand-offs) is shared by the appends it carries; the bytes"
                                + " cost per event.%n", grouped(rl), grouped(rb / batch), batch, grouped(rb), batch, rb / batch / rl);
            }
            long failed = runs.stream().mapToLong(Run::clientFailures).sum();
            if (failed > 0) {
                System.out.printf(Locale.ROOT, "- the members' Ratis clients logged %s failed requests during the throughput cases (each"
                        + " sent again): requests that wait longer than the client's timeout are failed and re-sent together.%n",
                        grouped(failed));
            }
            System.out.println("- on three machines each replica would have its own cores; what costs per entry would not change."
                    + " The capped cases measure that: every server, the one node too, gets the same CPU.");
            System.out.println("- limits per server: " + limitsLine + ".");
        }
    }

    static String times(double r) {
        return Double.isNaN(r) ? "" : String.format(Locale.ROOT, r < 0.1 ? "%.3fx" : "%.2fx", r);
    }

    static String secs(double s) {
        return s < 0 ? "-" : String.format(Locale.ROOT, "%.2f s", s);
    }

    static String grouped(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private ClusterBenchmark() {
    }
}
