package io.strand.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import jdk.management.jfr.FlightRecorderMXBean;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The server under test for {@link HttpBenchmark}: the packaged application ({@code
 * target/quarkus-app/quarkus-run.jar}) as a child JVM on 127.0.0.1 with a fresh data directory, its
 * JMX agent bound to 127.0.0.1 (no authentication, no TLS: loopback only), and what the benchmark
 * reads from it over JMX: per-thread CPU and allocated bytes, and JFR allocation samples.
 * {@link #close()} stops the child (SIGTERM, then SIGKILL after 20 s) and deletes the directory; a
 * shutdown hook does the same if the benchmark itself is interrupted.
 */
final class HttpBenchServer implements AutoCloseable {
    /** Thread groups that are the measurement itself (JMX over RMI, JFR), left out of the totals. */
    static boolean measurementThread(String group) {
        return group.startsWith("RMI ") || group.startsWith("JMX ") || group.startsWith("JFR ")
                || group.equals("Attach Listener") || group.startsWith("RMI-");
    }

    final Path dir;
    final Path output;
    final Process process;
    final int port;
    final int jmxPort;
    final List<String> command;
    private final Thread hook;
    private final boolean keep;
    private JMXConnector connector;
    private MBeanServerConnection mbeans;
    private com.sun.management.ThreadMXBean threads;
    private final Map<Long, String> names = new HashMap<>();
    private boolean closed;

    private HttpBenchServer(Path dir, Path jar, int heapMiB, List<String> extraJvmArgs, boolean keep) throws IOException {
        this.dir = dir;
        this.keep = keep;
        this.output = dir.resolve("server.log");
        this.port = freePort();
        int j;
        do {
            j = freePort();
        } while (j == port);
        this.jmxPort = j;
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heapMiB + "m");
        if (Runtime.version().feature() >= 21) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        // The JMX agent starts before main and touches java.util.logging: name the log manager first
        // (JBoss LogManager is on the runner's boot class path), as Quarkus's own docs advise.
        cmd.add("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        cmd.add("-Dcom.sun.management.jmxremote");
        cmd.add("-Dcom.sun.management.jmxremote.host=127.0.0.1");
        cmd.add("-Dcom.sun.management.jmxremote.port=" + jmxPort);
        cmd.add("-Dcom.sun.management.jmxremote.rmi.port=" + jmxPort);
        cmd.add("-Dcom.sun.management.jmxremote.authenticate=false");
        cmd.add("-Dcom.sun.management.jmxremote.ssl=false");
        cmd.add("-Dcom.sun.management.jmxremote.local.only=true");
        cmd.add("-Djava.rmi.server.hostname=127.0.0.1");
        cmd.add("-Dquarkus.http.host=127.0.0.1");
        cmd.add("-Dquarkus.http.port=" + port);
        cmd.add("-Dstrand.data-dir=" + dir.resolve("data"));
        cmd.add("-Dstrand.log.segment-size=256M");
        cmd.addAll(extraJvmArgs);
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        this.command = List.copyOf(cmd);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        this.process = pb.start();
        this.hook = new Thread(() -> {
            process.destroyForcibly();
            try {
                process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                if (!keep) {
                    deleteDir(dir);
                }
            } catch (Exception ignored) {
                // best effort at exit
            }
        }, "http-bench-server-kill");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts the child and waits (up to {@code timeoutSeconds}) for {@code /q/health/ready}; then connects JMX. */
    static HttpBenchServer start(Path dir, Path jar, int heapMiB, List<String> extraJvmArgs, boolean keep,
                                 int timeoutSeconds) throws Exception {
        Files.createDirectories(dir.resolve("data"));
        HttpBenchServer s = new HttpBenchServer(dir, jar, heapMiB, extraJvmArgs, keep);
        try {
            s.awaitReady(timeoutSeconds);
            s.connectJmx(timeoutSeconds);
            return s;
        } catch (Exception | Error e) {
            System.out.println("server output (last lines):");
            System.out.println(s.tail(40));
            s.close();
            throw e;
        }
    }

    long pid() {
        return process.pid();
    }

    MBeanServerConnection mbeans() {
        return mbeans;
    }

    private void awaitReady(int timeoutSeconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited with status " + process.exitValue() + " before it was ready");
            }
            try {
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the server was not ready within " + timeoutSeconds + " s: " + last);
    }

    private void connectJmx(int timeoutSeconds) throws Exception {
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi");
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            try {
                connector = JMXConnectorFactory.connect(url);
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
        mbeans = connector.getMBeanServerConnection();
        threads = ManagementFactory.newPlatformMXBeanProxy(mbeans, ManagementFactory.THREAD_MXBEAN_NAME,
                com.sun.management.ThreadMXBean.class);
        if (!threads.isThreadAllocatedMemorySupported() || !threads.isThreadAllocatedMemoryEnabled()) {
            throw new IllegalStateException("the server JVM does not count allocated bytes per thread");
        }
    }

    /** The child's JVM, as it describes itself. */
    String jvmDescription() throws Exception {
        var rt = ManagementFactory.newPlatformMXBeanProxy(mbeans, ManagementFactory.RUNTIME_MXBEAN_NAME,
                java.lang.management.RuntimeMXBean.class);
        var mem = ManagementFactory.newPlatformMXBeanProxy(mbeans, ManagementFactory.MEMORY_MXBEAN_NAME,
                java.lang.management.MemoryMXBean.class);
        List<String> gcs = new ArrayList<>();
        for (var name : mbeans.queryNames(new javax.management.ObjectName(ManagementFactory.GARBAGE_COLLECTOR_MXBEAN_DOMAIN_TYPE + ",*"), null)) {
            gcs.add(name.getKeyProperty("name"));
        }
        return rt.getVmName() + " " + rt.getSpecVersion() + " (" + rt.getVmVersion() + "), max heap "
                + (mem.getHeapMemoryUsage().getMax() >> 20) + " MiB, GC " + String.join("+", gcs)
                + ", " + threads.getThreadCount() + " threads";
    }

    // ---------------------------------------------------------------- threads

    /** Per-thread CPU time and allocated bytes of the server at one moment. */
    static final class Snapshot {
        final long nanos = System.nanoTime();
        final Map<Long, long[]> byId = new HashMap<>(); // id -> {cpu ns, allocated bytes}
    }

    Snapshot snapshot() {
        Snapshot s = new Snapshot();
        long[] ids = threads.getAllThreadIds();
        long[] alloc = threads.getThreadAllocatedBytes(ids);
        long[] cpu = threads.getThreadCpuTime(ids);
        for (int i = 0; i < ids.length; i++) {
            if (alloc[i] >= 0) {
                s.byId.put(ids[i], new long[] {Math.max(0, cpu[i]), alloc[i]});
            }
        }
        List<Long> unknown = new ArrayList<>();
        for (long id : ids) {
            if (!names.containsKey(id)) {
                unknown.add(id);
            }
        }
        if (!unknown.isEmpty()) {
            ThreadInfo[] infos = threads.getThreadInfo(unknown.stream().mapToLong(Long::longValue).toArray());
            for (ThreadInfo info : infos) {
                if (info != null) {
                    names.put(info.getThreadId(), info.getThreadName());
                }
            }
        }
        return s;
    }

    /** A thread's group: its name without a trailing number ("vert.x-eventloop-thread-*"). */
    static String group(String name) {
        return name.replaceAll("-\\d+$", "-*").replaceAll("#\\d+$", "#*");
    }

    /** Per group {cpu ns, allocated bytes} between two snapshots; threads that ended in between are lost. */
    Map<String, long[]> delta(Snapshot a, Snapshot b) {
        Map<String, long[]> groups = new HashMap<>();
        for (Map.Entry<Long, long[]> e : b.byId.entrySet()) {
            long[] before = a.byId.getOrDefault(e.getKey(), new long[2]);
            String g = group(names.getOrDefault(e.getKey(), "thread-" + e.getKey()));
            long[] d = groups.computeIfAbsent(g, k -> new long[2]);
            d[0] += e.getValue()[0] - before[0];
            d[1] += e.getValue()[1] - before[1];
        }
        return groups;
    }

    // ---------------------------------------------------------------- JFR

    /** What one JFR allocation profile found: sampled bytes by class and by allocation site. */
    static final class AllocProfile {
        long samples;
        long weight;
        final Map<String, Long> byClass = new HashMap<>();
        final Map<String, Long> bySite = new HashMap<>();
        final Map<String, Long> byGroup = new HashMap<>();
        final Map<String, Long> byPath = new HashMap<>();
        /** Execution samples (running Java code) by top frame, and by nearest Strand frame. */
        long cpuSamples;
        final Map<String, Long> hot = new HashMap<>();
        final Map<String, Long> hotPath = new HashMap<>();
        final Map<String, Long> hotGroup = new HashMap<>();
    }

    /** Starts a JFR recording of {@code jdk.ObjectAllocationSample} in the server; returns its id. */
    long startAllocationRecording() throws IOException {
        FlightRecorderMXBean fr = flightRecorder();
        long id = fr.newRecording();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("jdk.ObjectAllocationSample#enabled", "true");
        settings.put("jdk.ObjectAllocationSample#throttle", "100000/s");
        settings.put("jdk.ObjectAllocationSample#stackTrace", "true");
        settings.put("jdk.ExecutionSample#enabled", "true");
        settings.put("jdk.ExecutionSample#period", "5 ms");
        fr.setRecordingSettings(id, settings);
        fr.setRecordingOptions(id, Map.of("name", "http-bench-alloc", "disk", "true"));
        fr.startRecording(id);
        return id;
    }

    /**
     * Stops the recording, has the server write it under the run directory, and summarises the
     * samples taken from {@code from} on. An allocation sample's weight is what its thread allocated
     * since its previous sample, so each thread's first sample in the recording (which carries
     * everything since a sample taken before the recording, or since the thread started) is left out.
     */
    AllocProfile stopAllocationRecording(long id, String label, java.time.Instant from) throws IOException {
        FlightRecorderMXBean fr = flightRecorder();
        fr.stopRecording(id);
        Path file = dir.resolve("alloc-" + label + ".jfr");
        fr.copyTo(id, file.toString());
        fr.closeRecording(id);
        AllocProfile p = new AllocProfile();
        List<RecordedEvent> events = new ArrayList<>(RecordingFile.readAllEvents(file));
        events.sort(Comparator.comparing(RecordedEvent::getStartTime));
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (RecordedEvent e : events) {
            String type = e.getEventType().getName();
            boolean alloc = type.equals("jdk.ObjectAllocationSample");
            if (!alloc && !type.equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedThread t = e.getThread(alloc ? "eventThread" : "sampledThread");
            String group = group(t == null || t.getJavaName() == null ? "?" : t.getJavaName());
            if (measurementThread(group)) {
                continue;
            }
            if (alloc && !seen.add(t == null ? -1 : t.getJavaThreadId())) {
                // counted below from the second sample on
            } else if (alloc) {
                continue;
            }
            if (e.getStartTime().isBefore(from)) {
                continue;
            }
            RecordedStackTrace st = e.getStackTrace();
            List<RecordedFrame> frames = st == null ? List.of() : st.getFrames();
            if (!alloc) {
                p.cpuSamples++;
                p.hot.merge(frames.isEmpty() ? "?" : frame(frames.get(0)), 1L, Long::sum);
                p.hotPath.merge(path(frames), 1L, Long::sum);
                p.hotGroup.merge(group, 1L, Long::sum);
                continue;
            }
            long w = e.getLong("weight");
            p.samples++;
            p.weight += w;
            String cls = e.getClass("objectClass").getName();
            p.byClass.merge(cls, w, Long::sum);
            p.byGroup.merge(group, w, Long::sum);
            p.bySite.merge(simpleName(cls) + " in " + site(frames), w, Long::sum);
            p.byPath.merge(path(frames), w, Long::sum);
        }
        return p;
    }

    private FlightRecorderMXBean flightRecorder() throws IOException {
        return ManagementFactory.newPlatformMXBeanProxy(mbeans, "jdk.management.jfr:type=FlightRecorder",
                FlightRecorderMXBean.class);
    }

    private static boolean plumbing(String type) {
        return type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.");
    }

    private static String frame(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        return simpleName(type) + "." + f.getMethod().getName() + ":" + f.getLineNumber();
    }

    /** The allocating frame outside the JDK (with the JDK frame under it when there is one). */
    static String site(List<RecordedFrame> frames) {
        if (frames.isEmpty()) {
            return "?";
        }
        String jdk = null;
        for (RecordedFrame f : frames) {
            String type = f.getMethod().getType().getName();
            if (plumbing(type)) {
                if (jdk == null) {
                    jdk = frame(f);
                }
                continue;
            }
            return frame(f) + (jdk == null ? "" : " (" + jdk + ")");
        }
        return frame(frames.get(0));
    }

    /** The nearest Strand frame and the caller of the allocating frame's method, to say which code path allocated. */
    static String path(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String type = f.getMethod().getType().getName();
            if (type.startsWith("io.strand.")) {
                return frame(f);
            }
        }
        // Nothing of ours on the stack: the nearest Netty/Vert.x frame above the JDK.
        for (RecordedFrame f : frames) {
            String type = f.getMethod().getType().getName();
            if (!plumbing(type)) {
                return "(no Strand frame) " + frame(f);
            }
        }
        return frames.isEmpty() ? "?" : frame(frames.get(0));
    }

    static String simpleName(String type) {
        int dot = type.lastIndexOf('.');
        return dot < 0 ? type : type.substring(dot + 1);
    }

    // ---------------------------------------------------------------- output, shutdown

    /** The last {@code n} lines of the server's output. */
    String tail(int n) {
        try {
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** Server output lines at WARN or ERROR level (or stack traces), at most {@code max}. */
    List<String> warnings(int max) {
        List<String> out = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(output, StandardCharsets.UTF_8)) {
                if (l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("Exception") || l.startsWith("\tat ")) {
                    out.add(l);
                    if (out.size() >= max) {
                        break;
                    }
                }
            }
        } catch (IOException e) {
            out.add("(no output: " + e + ")");
        }
        return out;
    }

    /** Stops the child (SIGTERM, SIGKILL after 20 s) and deletes the run directory; returns a line about it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (connector != null) {
                connector.close();
            }
        } catch (IOException ignored) {
            // the server may be gone already
        }
        long t0 = System.nanoTime();
        String how;
        process.destroy();
        try {
            if (process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                how = "stopped by SIGTERM in " + (System.nanoTime() - t0) / 1_000_000 + " ms, exit status " + process.exitValue();
            } else {
                process.destroyForcibly();
                process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                how = "DID NOT STOP within 20 s of SIGTERM: killed";
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            how = "interrupted: killed";
        }
        stopLine = how;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down: the hook runs anyway
        }
        if (!keep) {
            try {
                deleteDir(dir);
            } catch (IOException e) {
                stopLine += "; could not delete " + dir + ": " + e;
            }
        }
    }

    String stopLine = "";

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    static void deleteDir(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static String bytes(double b) {
        return String.format(Locale.ROOT, "%,.0f", b);
    }
}
