package io.strand.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Three Strand nodes forming one Raft group (DESIGN.md, "Cluster"), each the packaged server as a
 * child process on 127.0.0.1 ({@link ServerProcess}) with its own data directory and fixed HTTP and
 * Raft ports, so that a node can be killed ({@code SIGKILL}), paused ({@code SIGSTOP}/{@code SIGCONT})
 * and restarted on the same data directory.
 *
 * <p>Every process is killed by {@link #close}, by {@link #killAll} (an {@code @AfterAll}) and by a
 * shutdown hook of the test JVM. Each node's output is written to
 * {@code target/cluster-it/<name>/<node>-<incarnation>.log} when that process ends.
 */
final class ClusterNodes implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(2);
    private static final Set<ClusterNodes> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ClusterNodes::killAll, "cluster-it-kill"));
    }

    final String name;
    final List<Node> nodes;
    private final Path logDir;
    private final List<String> properties;

    /**
     * @param baseDir    the nodes' data directories go below it
     * @param name       names the log directory
     * @param properties extra system properties ({@code key=value}) for every node
     */
    ClusterNodes(Path baseDir, String name, String... properties) throws IOException {
        this.name = name;
        this.logDir = Paths.get("target", "cluster-it", name).toAbsolutePath();
        this.properties = List.of(properties);
        Files.createDirectories(logDir);
        try (var old = Files.newDirectoryStream(logDir, "*.log")) {
            for (Path f : old) {
                Files.delete(f); // an earlier run's
            }
        }
        int[] ports = freePorts(6);
        List<Node> list = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            list.add(new Node("n" + (i + 1), ports[2 * i], ports[2 * i + 1], baseDir.resolve("n" + (i + 1))));
        }
        nodes = List.copyOf(list);
        OPEN.add(this);
    }

    /** Ports nothing listens on now, all different (the sockets are held open together while chosen). */
    private static int[] freePorts(int n) throws IOException {
        ServerSocket[] sockets = new ServerSocket[n];
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket(0);
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    String peers() {
        return nodes.stream().map(n -> n.id + "=127.0.0.1:" + n.raftPort + ":" + n.httpPort)
                .collect(Collectors.joining(","));
    }

    Node node(String id) {
        for (Node n : nodes) {
            if (n.id.equals(id)) {
                return n;
            }
        }
        throw new IllegalArgumentException("no node " + id);
    }

    /** Where the nodes' output goes (for failure messages). */
    String logs() {
        return "node logs: " + logDir;
    }

    /** One node: its ports and data directory stay the same across restarts. */
    final class Node {
        final String id;
        final int httpPort;
        final int raftPort;
        final Path dataDir;
        private volatile ServerProcess process;
        private volatile boolean paused;
        private int incarnation;

        Node(String id, int httpPort, int raftPort, Path dataDir) {
            this.id = id;
            this.httpPort = httpPort;
            this.raftPort = raftPort;
            this.dataDir = dataDir;
        }

        boolean running() {
            ServerProcess p = process;
            return p != null && p.process.isAlive();
        }

        /** Running and not paused. */
        boolean answering() {
            return running() && !paused;
        }

        long pid() {
            return process.pid();
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + httpPort + path);
        }

        HttpRequest.Builder request(String path, Duration timeout) {
            return HttpRequest.newBuilder(uri(path)).timeout(timeout);
        }

        HttpResponse<String> get(String path, Duration timeout, String... headers) throws IOException, InterruptedException {
            HttpRequest.Builder b = request(path, timeout).GET();
            for (int i = 0; i < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> postJson(String path, String body, Duration timeout, String... headers)
                throws IOException, InterruptedException {
            HttpRequest.Builder b = request(path, timeout).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            for (int i = 0; i < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        /** {@code GET /cluster}, or null when the node does not answer it with 200 within 2 s. */
        JsonObject state() throws InterruptedException {
            try {
                HttpResponse<String> r = get("/cluster", STATE_TIMEOUT);
                return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /** The process's output so far (this incarnation). */
        String output() {
            ServerProcess p = process;
            return p == null ? "" : p.output();
        }

        @Override
        public String toString() {
            return id + "(http " + httpPort + ", raft " + raftPort + (running() ? ", pid " + pid() : ", down")
                    + (paused ? ", paused" : "") + ")";
        }
    }

    /**
     * How long a start may take: generous, since it is not what is tested and the three JVMs start
     * at once on what may be a small, shared machine.
     */
    static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    /** Starts the three nodes together, then waits for a leader and for every node to be ready. */
    void startAll() throws Exception {
        for (Node n : nodes) {
            launch(n);
        }
        for (Node n : nodes) {
            awaitUp(n, START_TIMEOUT);
        }
        leader(Duration.ofSeconds(60));
        for (Node n : nodes) {
            awaitStatus(n, "/q/health/ready", 200, Duration.ofSeconds(60));
        }
    }

    /** Starts (or restarts, on the same data directory and ports) a node that is down; waits until it answers {@code /cluster}. */
    void start(Node n) throws Exception {
        launch(n);
        awaitUp(n, START_TIMEOUT);
    }

    /** The machine's load average (/proc/loadavg), for the timings printed: they depend on it. */
    static String load() {
        try {
            return "load average " + Files.readString(Paths.get("/proc/loadavg")).trim().split(" ", 4)[0]
                    + " on " + Runtime.getRuntime().availableProcessors() + " CPUs";
        } catch (IOException | RuntimeException e) {
            return "load average unknown";
        }
    }

    private void launch(Node n) throws IOException {
        if (n.running()) {
            throw new IllegalStateException(n + " is running");
        }
        List<String> props = new ArrayList<>();
        props.add("strand.cluster.enabled=true");
        props.add("strand.cluster.node-id=" + n.id);
        props.add("strand.cluster.peers=" + peers());
        props.addAll(properties);
        n.incarnation++;
        n.paused = false;
        n.process = ServerProcess.start(n.dataDir, n.httpPort, props.toArray(String[]::new));
    }

    private void awaitUp(Node n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!n.running()) {
                saveOutput(n);
                throw new AssertionError(n.id + " exited while starting; " + logs() + "\n" + tail(n.process.output()));
            }
            if (n.state() != null) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(n.id + " did not answer /cluster within " + timeout + "; " + logs() + "\n"
                + tail(n.output()));
    }

    /** SIGKILL; returns when the process is gone. */
    void kill(Node n) throws InterruptedException {
        ServerProcess p = n.process;
        if (p != null) {
            p.kill();
            saveOutput(n);
        }
        n.paused = false;
    }

    /** SIGSTOP. */
    void pause(Node n) throws IOException, InterruptedException {
        n.process.pause();
        n.paused = true;
    }

    /** SIGCONT. */
    void resume(Node n) throws IOException, InterruptedException {
        n.process.resume();
        n.paused = false;
    }

    /** Each answering node's {@code /cluster} (null for one that does not answer). */
    Map<Node, JsonObject> states() throws InterruptedException {
        Map<Node, JsonObject> out = new LinkedHashMap<>();
        for (Node n : nodes) {
            out.put(n, n.answering() ? n.state() : null);
        }
        return out;
    }

    static String describe(Map<Node, JsonObject> states) {
        StringBuilder b = new StringBuilder();
        states.forEach((n, s) -> b.append("\n  ").append(n).append(": ").append(s == null ? "no answer" : s.encode()));
        return b.toString();
    }

    /**
     * The leader: a node that says it leads and that another node, in the same term, names as its
     * leader (a leader a majority knows of, not a stale one that has not heard of a newer term yet).
     */
    Node leader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Node, JsonObject> states;
        do {
            states = states();
            Node found = agreedLeader(states);
            if (found != null) {
                return found;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no leader within " + timeout + ":" + describe(states) + "\n" + logs());
    }

    /** The leader the states agree on (see {@link #leader}), or null. */
    static Node agreedLeader(Map<Node, JsonObject> states) {
        for (var e : states.entrySet()) {
            JsonObject s = e.getValue();
            if (s == null || !"leader".equals(s.getString("role"))) {
                continue;
            }
            for (var other : states.entrySet()) {
                JsonObject o = other.getValue();
                if (other.getKey() != e.getKey() && o != null && e.getKey().id.equals(o.getString("leader"))
                        && s.getLong("term").equals(o.getLong("term"))) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    /**
     * Waits until every running node answers {@code /cluster} with the same commit index, applied
     * index and applied position, twice in a row 300 ms apart (writes must have stopped); returns
     * that applied position. (Not "applied index = commit index": the commit index counts Ratis's own
     * entries too, e.g. the log metadata entry that records each new commit index, which are not
     * transactions the state machine applies.)
     */
    long awaitConvergence(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String previous = null;
        Map<Node, JsonObject> states;
        do {
            states = states();
            String agreed = agreement(states);
            if (agreed != null && agreed.equals(previous)) {
                return Long.parseLong(agreed.substring(agreed.indexOf('@') + 1));
            }
            previous = agreed;
            Thread.sleep(300);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the nodes did not converge within " + timeout + ":" + describe(states) + "\n" + logs());
    }

    /** "commitIndex/appliedIndex@appliedPosition" when all running nodes agree, else null. */
    private static String agreement(Map<Node, JsonObject> states) {
        String agreed = null;
        for (var e : states.entrySet()) {
            if (!e.getKey().running()) {
                continue;
            }
            JsonObject s = e.getValue();
            if (s == null || s.getLong("appliedIndex") == null || s.getLong("appliedPosition") == null) {
                return null;
            }
            String mine = s.getLong("commitIndex") + "/" + s.getLong("appliedIndex") + "@" + s.getLong("appliedPosition");
            if (agreed != null && !agreed.equals(mine)) {
                return null;
            }
            agreed = mine;
        }
        return agreed;
    }

    /** Waits until {@code path} answers {@code status} on {@code n}. */
    void awaitStatus(Node n, String path, int status, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        do {
            try {
                HttpResponse<String> r = n.get(path, STATE_TIMEOUT);
                if (r.statusCode() == status) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(n + " " + path + " did not answer " + status + " within " + timeout + "; last: " + last
                + describe(states()) + "\n" + logs());
    }

    /** One event of {@code /all}, as every node must serve it. */
    record Event(long position, String stream, long version, String id, String type) {
    }

    /** The whole {@code GET /all} of a node, page by page. */
    List<Event> readAll(Node n) throws IOException, InterruptedException {
        List<Event> out = new ArrayList<>();
        long from = 0;
        while (true) {
            HttpResponse<String> r = n.get("/all?from=" + from + "&limit=1000", Duration.ofSeconds(30));
            if (r.statusCode() != 200) {
                throw new AssertionError(n + " GET /all?from=" + from + ": " + r.statusCode() + " " + r.body());
            }
            JsonObject page = new JsonObject(r.body());
            JsonArray events = page.getJsonArray("events");
            for (int i = 0; i < events.size(); i++) {
                JsonObject e = events.getJsonObject(i);
                out.add(new Event(e.getLong("position"), e.getString("stream"), e.getLong("version"), e.getString("id"),
                        e.getString("type")));
            }
            Long next = page.getLong("next");
            if (next == null) {
                return out;
            }
            from = next;
        }
    }

    /** A node's raw log ({@code GET /log}, all of it): SHA-256 over each range's position and bytes. */
    record LogDigest(String sha256, long bytes) {
    }

    LogDigest logDigest(Node n) throws IOException, InterruptedException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        long from = 0;
        long total = 0;
        byte[] buf = new byte[1 << 16];
        while (true) {
            HttpResponse<InputStream> r = HTTP.send(n.request("/log?from=" + from + "&maxBytes=" + (16 << 20),
                    Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            long length = 0;
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw new AssertionError(n + " GET /log?from=" + from + ": " + r.statusCode() + " "
                            + new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                md.update(ByteBuffer.allocate(8).putLong(0, from));
                int k;
                while ((k = in.read(buf)) > 0) {
                    md.update(buf, 0, k);
                    length += k;
                }
            }
            total += length;
            long next = Long.parseLong(r.headers().firstValue("Strand-Next")
                    .orElseThrow(() -> new AssertionError(n + " GET /log without Strand-Next")));
            if (length == 0 && next <= from) {
                return new LogDigest(HexFormat.of().formatHex(md.digest()), total);
            }
            from = next;
        }
    }

    /**
     * Where the raw logs of {@code a} and {@code b} first differ: the log position, or -1 when they
     * are the same (a diagnosis for a failed comparison, not a comparison itself).
     */
    long firstDifference(Node a, Node b) throws IOException, InterruptedException {
        long from = 0;
        while (true) {
            HttpResponse<byte[]> ra = HTTP.send(a.request("/log?from=" + from + "&maxBytes=" + (4 << 20),
                    Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            HttpResponse<byte[]> rb = HTTP.send(b.request("/log?from=" + from + "&maxBytes=" + (4 << 20),
                    Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (ra.statusCode() != 200 || rb.statusCode() != 200) {
                return from;
            }
            byte[] x = ra.body();
            byte[] y = rb.body();
            int n = Math.min(x.length, y.length);
            for (int i = 0; i < n; i++) {
                if (x[i] != y[i]) {
                    return from + i;
                }
            }
            if (x.length != y.length) {
                return from + n;
            }
            long next = Long.parseLong(ra.headers().firstValue("Strand-Next").orElse("-1"));
            if (next != Long.parseLong(rb.headers().firstValue("Strand-Next").orElse("-2"))) {
                return from + n;
            }
            if (x.length == 0 && next <= from) {
                return -1;
            }
            from = next;
        }
    }

    private void saveOutput(Node n) {
        ServerProcess p = n.process;
        if (p == null) {
            return;
        }
        try {
            Files.writeString(logDir.resolve(n.id + "-" + n.incarnation + ".log"), p.output());
        } catch (IOException e) {
            System.err.println("could not save the output of " + n.id + ": " + e);
        }
    }

    private static String tail(String output) {
        return output.length() <= 4000 ? output : "..." + output.substring(output.length() - 4000);
    }

    /** Kills every node still running and saves its output. */
    @Override
    public void close() {
        for (Node n : nodes) {
            ServerProcess p = n.process;
            if (p != null && p.process.isAlive()) {
                p.process.destroyForcibly();
            }
        }
        for (Node n : nodes) {
            ServerProcess p = n.process;
            if (p != null) {
                try {
                    p.process.waitFor(30, TimeUnit.SECONDS);
                    p.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                saveOutput(n);
                n.process = null;
            }
        }
        OPEN.remove(this);
    }

    /** Kills every node of every cluster not closed yet (an {@code @AfterAll}, and the JVM's shutdown hook). */
    static void killAll() {
        for (ClusterNodes c : List.copyOf(OPEN)) {
            c.close();
        }
    }
}
