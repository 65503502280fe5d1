package io.strand.cluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.strand.log.CommitLog;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.StoreConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The follower's side of a snapshot install over real HTTP: {@link HttpLeaderLog} against a small
 * JDK server that answers {@code GET /cluster} and {@code GET /log} as the leader's handlers do (the
 * snapshot object's JSON shape, raw records and {@code Strand-Next}, problems), and a whole
 * {@link LogCopier} copy through it from one store's log into another's.
 */
class HttpLeaderLogTest {
    @TempDir
    Path dir;
    private HttpServer server;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private volatile String clusterJson = "{}";
    private final List<String> queries = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop(0);
        }
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    /** A server for {@code log}: GET /cluster answers {@link #clusterJson}, GET /log the log's range. */
    private HttpLeaderLog serve(CommitLog log) throws IOException {
        return serve(log, null);
    }

    /** With {@code tls}, the leader speaks HTTPS with that certificate and the follower trusts only it ({@link PeerTls}). */
    private HttpLeaderLog serve(CommitLog log, io.strand.testsupport.TestCertificates tls) throws IOException {
        if (tls == null) {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(serverContext(tls)));
            server = https;
        }
        server.createContext("/cluster", x -> {
            if (unauthenticated(x)) {
                return;
            }
            answer(x, 200, Map.of(), clusterJson.getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/log", x -> {
            if (unauthenticated(x)) {
                return;
            }
            String query = x.getRequestURI().getQuery();
            synchronized (queries) {
                queries.add(query);
            }
            Map<String, Long> q = new java.util.HashMap<>();
            for (String kv : query.split("&")) {
                q.put(kv.substring(0, kv.indexOf('=')), Long.parseLong(kv.substring(kv.indexOf('=') + 1)));
            }
            long from = q.get("from");
            if (log == null || from > log.committedPosition()) {
                answer(x, 410, Map.of(), "{\"type\":\"urn:strand:problem:position-gone\"}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            var range = log.range(from, (int) Math.min(q.get("maxBytes"), 64 << 20));
            byte[] body = new byte[range.length()];
            if (body.length > 0) {
                try (var ch = java.nio.channels.FileChannel.open(range.file())) {
                    ch.read(ByteBuffer.wrap(body), range.fileOffset());
                }
            }
            answer(x, 200, Map.of("Strand-Next", Long.toString(range.nextPosition())), body);
        });
        server.start();
        String base = (tls == null ? "http://" : "https://") + "127.0.0.1:" + server.getAddress().getPort();
        return new HttpLeaderLog(HttpLeaderLog.client(Duration.ofSeconds(2), tls == null ? null : PeerTls.trusting(tls.certPem)),
                base, Duration.ofSeconds(10), SECRET);
    }

    private static javax.net.ssl.SSLContext serverContext(io.strand.testsupport.TestCertificates tls) throws IOException {
        try (var in = java.nio.file.Files.newInputStream(tls.keyStore)) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(in, io.strand.testsupport.TestCertificates.PASSWORD.toCharArray());
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, io.strand.testsupport.TestCertificates.PASSWORD.toCharArray());
            javax.net.ssl.SSLContext c = javax.net.ssl.SSLContext.getInstance("TLS");
            c.init(kmf.getKeyManagers(), null, null);
            return c;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private static final String SECRET = "peer-secret";

    /** As a leader with credentials configured: a request without the peer secret is a 401. */
    private static boolean unauthenticated(HttpExchange x) throws IOException {
        if (("Bearer " + SECRET).equals(x.getRequestHeaders().getFirst("Authorization"))) {
            return false;
        }
        answer(x, 401, Map.of(), "{\"type\":\"urn:strand:problem:unauthorized\"}".getBytes(StandardCharsets.UTF_8));
        return true;
    }

    private static void answer(HttpExchange x, int status, Map<String, String> headers, byte[] body) throws IOException {
        headers.forEach((k, v) -> x.getResponseHeaders().add(k, v));
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (var out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Test
    void readsTheSnapshotObjectAsClusterHandlerWritesIt() throws Exception {
        HttpLeaderLog leader = serve(null);
        clusterJson = "{\"nodeId\":\"n2\",\"role\":\"leader\",\"leader\":\"n2\",\"term\":3,\"commitIndex\":738,"
                + "\"appliedIndex\":730,\"appliedPosition\":312072,\"snapshot\":{\"term\":3,\"index\":722,"
                + "\"position\":311192},\"snapshotsInstalled\":0,\"peers\":[{\"id\":\"n1\"}]}";
        assertEquals(new SnapshotFile(3, 722, 311192), leader.snapshot());
        clusterJson = "{\"nodeId\":\"n2\",\"snapshot\":null,\"snapshotsInstalled\":0}";
        assertNull(leader.snapshot(), "no snapshot yet");
        clusterJson = "{\"snapshot\": { \"position\": 9, \"index\": 8, \"term\": 7 }}";
        assertEquals(new SnapshotFile(7, 8, 9), leader.snapshot(), "any order, any spacing");
        clusterJson = "{\"nodeId\":\"n2\"}";
        assertThrows(IOException.class, leader::snapshot, "a node that does not say");
        IOException gone = assertThrows(IOException.class, () -> leader.read(0, 100));
        assertTrue(gone.getMessage().contains("410") && gone.getMessage().contains("position-gone"), gone.getMessage());
    }

    @Test
    void copiesALogThroughGetLogUpToTheSnapshot() throws Exception {
        EventStore source = open("a");
        EventStore target = open("b");
        long raftIndex = 0;
        int events = 0;
        for (int i = 0; i < 200; i++) {
            List<NewEvent> batch = new ArrayList<>();
            for (int j = 0; j <= i % 4; j++) {
                batch.add(NewEvent.json(UUID.randomUUID(), "t", "{\"i\":" + i + ",\"pad\":\"" + "x".repeat(i % 300) + "\"}"));
            }
            source.replica().applyReplicated("s-" + i % 3, batch, ExpectedVersion.ANY, false, 1_800_000_000_000L + i, ++raftIndex)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            events += batch.size();
        }
        long snapshotPosition = source.log().committedPosition();
        long snapshotIndex = raftIndex;
        source.replica().applyReplicated("later", List.of(NewEvent.json(UUID.randomUUID(), "t", "{}")), ExpectedVersion.ANY,
                false, 1_800_000_001_000L, ++raftIndex).toCompletableFuture().get(10, TimeUnit.SECONDS);

        // over HTTPS, as members with TLS on copy (the certificate trusted through strand.cluster.trust-certificates)
        HttpLeaderLog leader = serve(source.log(), io.strand.testsupport.TestCertificates.create(dir.resolve("tls")));
        AtomicLong copiedThrough = new AtomicLong();
        long records = new LogCopier(target.replica(), new ReentrantLock(), copiedThrough::set, () -> false)
                .copy(leader, new SnapshotFile(1, snapshotIndex, snapshotPosition));
        assertEquals(events, records, "every event up to the snapshot, none after it");
        assertEquals(snapshotPosition, target.log().committedPosition());
        assertEquals(snapshotIndex, copiedThrough.get());
        assertEquals(snapshotIndex, target.replica().lastRaftIndex());
        assertTrue(queries.size() > 1, "several chunks (records cross segment ends): " + queries);
        assertTrue(queries.get(0).equals("from=0&maxBytes=" + LogCopier.CHUNK_BYTES), queries.get(0));
        for (int s = 0; s < 3; s++) {
            assertEquals(source.streamInfo("s-" + s), target.streamInfo("s-" + s));
        }
        assertArrayEquals(source.readEvent("s-1", 7).data(), target.readEvent("s-1", 7).data());
    }

    @Test
    void refusesALeaderWhoseCertificateItDoesNotTrust() throws Exception {
        serve(null, io.strand.testsupport.TestCertificates.create(dir.resolve("tls-a")));
        // a follower that trusts another certificate (another cluster's CA) never reads this leader
        HttpLeaderLog stranger = new HttpLeaderLog(HttpLeaderLog.client(Duration.ofSeconds(2),
                PeerTls.trusting(io.strand.testsupport.TestCertificates.create(dir.resolve("tls-b")).certPem)),
                "https://127.0.0.1:" + server.getAddress().getPort(), Duration.ofSeconds(10), SECRET);
        IOException e = assertThrows(IOException.class, stranger::snapshot);
        assertTrue(e instanceof javax.net.ssl.SSLException || e.getCause() instanceof javax.net.ssl.SSLException
                || String.valueOf(e.getMessage()).contains("PKIX"), String.valueOf(e));
    }

    private EventStore open(String name) throws IOException {
        CommitLog log = CommitLog.open(LogConfig.defaults(dir.resolve(name)).withSegmentSize(64 * 1024)
                .withPool(true, 4, 16 * 1024).withFlush(FlushMode.ASYNC, Duration.ofMillis(20)));
        closing.add(log);
        EventStore store = EventStore.open(log, StoreConfig.defaults());
        closing.add(store);
        return store;
    }
}
