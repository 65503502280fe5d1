package io.strand.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One server of {@link ClusterBenchmark}: the packaged application ({@code java -jar
 * target/quarkus-app/quarkus-run.jar}) as a child JVM on 127.0.0.1 with its own data directory,
 * either a single node (replication off) or a member of the three-node Raft group. It can be
 * killed (SIGKILL), stopped (SIGTERM) and started again on the same ports and data directory; its
 * output goes to {@code <id>.log} beside the data directory, appended across restarts, so a failure
 * can be shown with the node's own log. Also what the benchmark reads from it: CPU ticks from
 * {@code /proc/<pid>/stat}, the committed log position, and the real bytes of its Raft log.
 */
final class ClusterBenchNode {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    final String id;
    final boolean clustered;
    final int httpPort;
    final int raftPort;
    final Path dataDir;
    final Path logFile;
    private final List<String> command;
    private volatile Process process;
    /** Its cgroup (null: none): every start joins it. */
    volatile NodeLimits limits;
    /** System.nanoTime() of the latest start. */
    volatile long startedNanos;
    int starts;

    ClusterBenchNode(String id, boolean clustered, int httpPort, int raftPort, Path runDir, Path jar, int heapMiB,
                     String peers, List<String> extraProperties, List<String> jvmOptions) {
        this.id = id;
        this.clustered = clustered;
        this.httpPort = httpPort;
        this.raftPort = raftPort;
        this.dataDir = runDir.resolve(id);
        this.logFile = runDir.resolve(id + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heapMiB + "m");
        cmd.addAll(jvmOptions);
        if (Runtime.version().feature() >= 21) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.add("-Dquarkus.http.host=127.0.0.1");
        cmd.add("-Dquarkus.http.port=" + httpPort);
        cmd.add("-Dstrand.data-dir=" + dataDir);
        if (clustered) {
            cmd.add("-Dstrand.cluster.enabled=true");
            cmd.add("-Dstrand.cluster.node-id=" + id);
            cmd.add("-Dstrand.cluster.peers=" + peers);
        }
        for (String p : extraProperties) {
            cmd.add("-D" + p);
        }
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        this.command = List.copyOf(cmd);
    }

    List<String> command() {
        return command;
    }

    /** Starts the JVM (again): same ports, same data directory; its output is appended to the node's log. */
    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(id + " is running");
        }
        Files.createDirectories(dataDir);
        starts++;
        Files.writeString(logFile, "=== ClusterBenchmark: start " + starts + " of " + id + " at " + java.time.Instant.now() + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dataDir.getParent().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        startedNanos = System.nanoTime();
        process = pb.start();
        if (limits != null) {
            limits.join(process.pid());
        }
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Waits up to {@code seconds} for the process to exit; whether it has. */
    boolean awaitExit(int seconds) {
        Process p = process;
        try {
            return p == null || p.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    /** SIGKILL, then waits for the exit; returns System.nanoTime() just before the signal. */
    long kill() throws InterruptedException {
        Process p = process;
        long t = System.nanoTime();
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        return t;
    }

    /** SIGTERM, SIGKILL after {@code seconds}; returns a line about how it ended. */
    String stop(int seconds) throws InterruptedException {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return "not running";
        }
        long t0 = System.nanoTime();
        p.destroy();
        if (p.waitFor(seconds, TimeUnit.SECONDS)) {
            return "stopped by SIGTERM in " + (System.nanoTime() - t0) / 1_000_000 + " ms, exit status " + p.exitValue();
        }
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return "DID NOT STOP within " + seconds + " s of SIGTERM: killed";
    }

    /** For the exit hook. */
    void destroyForcibly() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    // ---------------------------------------------------------------- HTTP probes

    HttpResponse<String> get(String path, int timeoutMillis) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofMillis(timeoutMillis)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** This node's view of the group, or null when it does not answer 200. */
    ClusterView cluster() {
        try {
            HttpResponse<String> r = get("/cluster", 2000);
            return r.statusCode() == 200 ? ClusterView.parse(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Waits for {@code /q/health/ready} to answer 200; throws (with the log's tail) after {@code seconds}. */
    void awaitReady(int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!alive()) {
                throw new IllegalStateException(id + " exited with status " + process.exitValue() + " before it was ready");
            }
            try {
                HttpResponse<String> r = get("/q/health/ready", 2000);
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body().replace('\n', ' ');
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(id + " was not ready within " + seconds + " s: " + last);
    }

    /**
     * Why the node cannot serve (its {@code /q/health/live} answers 503 only when opening failed or
     * a log thread died: it will not recover by itself), or null while it is live or not answering.
     */
    String liveFailure() {
        try {
            HttpResponse<String> r = get("/q/health/live", 2000);
            return r.statusCode() == 503 ? r.body().replaceAll("\\s+", " ") : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * The CommitLog's committed position (bytes of log written: positions are byte offsets), or -1:
     * {@code appliedPosition} of {@code /cluster} on a member, {@code strand_log_bytes} (committed
     * minus first position; no retention runs here, so the first is 0) on the single node.
     */
    long committedPosition() {
        if (clustered) {
            ClusterView v = cluster();
            return v == null ? -1 : v.appliedPosition;
        }
        try {
            HttpResponse<String> r = get("/q/metrics", 5000);
            Matcher m = Pattern.compile("(?m)^strand_log_bytes(?:\\{[^}]*})? ([0-9.E+]+)$").matcher(r.body());
            return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    // ---------------------------------------------------------------- CPU

    /** utime + stime of the live process, in clock ticks (0 when it is not running). */
    long cpuTicks() {
        long pid = pid();
        return pid < 0 || !alive() ? 0 : processTicks(Paths.get("/proc/" + pid + "/stat"));
    }

    /** utime + stime of the live process's JIT compiler threads, in clock ticks (0 when it is not running). */
    long compilerTicks() {
        long pid = pid();
        if (pid < 0 || !alive()) {
            return 0;
        }
        long ticks = 0;
        try (java.util.stream.Stream<Path> tasks = Files.list(Paths.get("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String comm = Files.readString(t.resolve("comm")).trim();
                if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
                    ticks += processTicks(t.resolve("stat"));
                }
            }
        } catch (IOException | RuntimeException e) {
            return ticks; // a thread ended while listed: what was read so far
        }
        return ticks;
    }

    static long processTicks(Path stat) {
        try {
            String s = Files.readString(stat);
            String[] g = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(g[11]) + Long.parseLong(g[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- Raft log bytes

    private final Map<String, long[]> segments = new HashMap<>(); // key "log_<start>": {bytes, parsed-to, file length seen}
    int purgedSegments;

    /**
     * Real bytes of this node's Raft directory ({@code <data-dir>/raft}): each log segment up to the
     * end of its last entry (Ratis preallocates an open segment, so its file length says nothing),
     * every other file (metadata, the state machine's snapshot files) at its length. A segment that
     * Ratis purged after a snapshot keeps the bytes last seen, so the figure only grows with writes.
     */
    synchronized long raftBytes() throws IOException {
        Path raft = dataDir.resolve("raft");
        long other = 0;
        java.util.Set<String> present = new java.util.HashSet<>();
        if (Files.isDirectory(raft)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(raft)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    if (name.startsWith("log_")) {
                        String key = segmentKey(name);
                        present.add(key);
                        long[] s = segments.computeIfAbsent(key, k -> new long[3]);
                        boolean open = name.startsWith("log_inprogress_");
                        long length = Files.size(f);
                        if (!open && s[2] == length && s[1] > 0) {
                            continue; // a closed segment already parsed
                        }
                        s[1] = segmentEnd(f, s[1] > 0 ? s[1] : -1);
                        s[0] = s[1];
                        s[2] = open ? -1 : length;
                    } else {
                        other += Files.size(f);
                    }
                } catch (NoSuchFileException gone) {
                    // renamed (an open segment closed) or purged between the listing and the read
                }
            }
        }
        long logBytes = 0;
        int purged = 0;
        for (Map.Entry<String, long[]> e : segments.entrySet()) {
            logBytes += e.getValue()[0];
            if (!present.contains(e.getKey())) {
                purged++;
            }
        }
        purgedSegments = purged;
        return logBytes + other;
    }

    /** "log_inprogress_17" and "log_17-4711" are the same segment: "log_17". */
    static String segmentKey(String name) {
        String rest = name.startsWith("log_inprogress_") ? name.substring("log_inprogress_".length()) : name.substring(4);
        int dash = rest.indexOf('-');
        return "log_" + (dash < 0 ? rest : rest.substring(0, dash));
    }

    /**
     * Where a Ratis log segment's entries end: an 8-byte header ({@code RaftLog1}), then per entry a
     * varint length, the entry, a 4-byte checksum; zeros after the last entry (preallocated space).
     * {@code from} resumes from an earlier answer (an entry boundary), or -1 to read from the start.
     */
    static long segmentEnd(Path file, long from) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long pos = from > 0 ? from : 8;
            if (size < 8) {
                return size;
            }
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            long bufStart = -1;
            int bufLen = 0;
            while (pos < size) {
                if (bufStart < 0 || pos < bufStart || pos + 5 > bufStart + bufLen) {
                    buf.clear();
                    bufLen = Math.max(0, ch.read(buf, pos));
                    bufStart = pos;
                    if (bufLen == 0) {
                        break;
                    }
                }
                int at = (int) (pos - bufStart);
                long len = 0;
                int shift = 0;
                int n = 0;
                while (n < 5 && at + n < bufLen) {
                    int b = buf.get(at + n) & 0xff;
                    len |= (long) (b & 0x7f) << shift;
                    shift += 7;
                    n++;
                    if ((b & 0x80) == 0) {
                        break;
                    }
                }
                if (len == 0) {
                    break; // preallocated zeros: no more entries
                }
                long next = pos + n + len + 4;
                if (next > size) {
                    break; // a torn last entry
                }
                pos = next;
            }
            return Math.min(pos, size);
        }
    }

    // ---------------------------------------------------------------- log lines

    private long scanned;
    private long clientFailures;

    /**
     * Lines the Ratis client logged so far about a failed request (logger {@code OrderedAsync}:
     * a timeout, a closed stream, a redirect from a node that is not the leader), each one a
     * request it then sent again; read incrementally from the node's log.
     */
    synchronized long raftClientFailures() {
        try (FileChannel ch = FileChannel.open(logFile, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < scanned) {
                scanned = 0;
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, size - scanned));
            while (buf.hasRemaining() && ch.read(buf, scanned + buf.position()) > 0) {
                // fill
            }
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n') + 1; // whole lines only
            for (String line : text.substring(0, end).split("\n")) {
                if (line.contains("[org.apache.ratis.client.impl.OrderedAsync]")) {
                    clientFailures++;
                }
            }
            scanned += text.substring(0, end).getBytes(StandardCharsets.UTF_8).length;
        } catch (IOException e) {
            // no log yet
        }
        return clientFailures;
    }

    // ---------------------------------------------------------------- output

    /** The last {@code n} lines of the node's log (all its runs). */
    String tail(int n) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** ERROR lines and their causes ("Caused by") since the node's latest start, at most {@code max}. */
    String errorsSinceStart(int max) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            int from = 0;
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("=== ClusterBenchmark: start")) {
                    from = i;
                    break;
                }
            }
            List<String> out = new ArrayList<>();
            for (String l : lines.subList(from, lines.size())) {
                if ((l.contains(" ERROR ") || l.startsWith("Caused by")) && out.size() < max) {
                    out.add(l.length() > 400 ? l.substring(0, 400) + "..." : l);
                }
            }
            return String.join("\n", out);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** WARN and ERROR lines of the node's log, de-duplicated by their text after the logger, at most {@code max}. */
    List<String> warnings(int max, Map<String, Integer> counts) {
        List<String> out = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(logFile, StandardCharsets.UTF_8)) {
                if (l.contains(" WARN ") || l.contains(" ERROR ") || l.startsWith("===")) {
                    String key = l.replaceAll("^[0-9-]+ [0-9:,]+ ", "").replaceAll("[0-9]+", "#");
                    key = key.length() > 140 ? key.substring(0, 140) : key;
                    if (counts.merge(key, 1, Integer::sum) == 1 && out.size() < max) {
                        out.add(l.length() > 400 ? l.substring(0, 400) + "..." : l);
                    }
                }
            }
        } catch (IOException e) {
            out.add("(no log: " + e + ")");
        }
        return out;
    }

    @Override
    public String toString() {
        return id;
    }

    /** {@code GET /cluster}, the fields the benchmark uses. */
    record ClusterView(String nodeId, String role, String leader, long term, long commitIndex, long appliedIndex,
                       long appliedPosition) {
        static ClusterView parse(String json) {
            io.vertx.core.json.JsonObject o = new io.vertx.core.json.JsonObject(json);
            return new ClusterView(o.getString("nodeId"), o.getString("role"), o.getString("leader"),
                    o.getLong("term", 0L), o.getLong("commitIndex", 0L), o.getLong("appliedIndex", 0L),
                    o.getLong("appliedPosition", 0L));
        }
    }
}
