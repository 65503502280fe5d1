package io.strand.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The leader's snapshot and log over its HTTP API: {@code GET /cluster} (its {@code "snapshot"}
 * object) and {@code GET /log?from=&maxBytes=} (raw records, sent with sendfile; {@code Strand-Next}
 * says where the next record starts). Plain {@link HttpClient}: the cluster layer has no framework.
 */
final class HttpLeaderLog implements LeaderLog {
    /** The shape ClusterHandler writes: {@code "snapshot":null} or {@code "snapshot":{"term":..,"index":..,"position":..}}. */
    private static final Pattern SNAPSHOT = Pattern.compile("\"snapshot\"\\s*:\\s*(null|\\{([^{}]*)})");
    private static final Pattern FIELD = Pattern.compile("\"(term|index|position)\"\\s*:\\s*(-?\\d+)");

    private final HttpClient client;
    private final String base;
    private final Duration timeout;
    private final String secret;

    /**
     * @param baseUrl {@code http://host:port} or {@code https://host:port} of the leader's API
     * @param secret  the cluster's peer secret, sent as a bearer token; null for none
     */
    HttpLeaderLog(HttpClient client, String baseUrl, Duration timeout, String secret) {
        this.client = client;
        this.base = baseUrl;
        this.timeout = timeout;
        this.secret = secret;
    }

    /** @param tls the trust for members' HTTPS ({@link PeerTls}), or null for plain HTTP */
    static HttpClient client(Duration connectTimeout, javax.net.ssl.SSLContext tls) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1);
        if (tls != null) {
            b.sslContext(tls);
        }
        return b.build();
    }

    @Override
    public SnapshotFile snapshot() throws IOException {
        HttpResponse<byte[]> r = get("/cluster");
        return parseSnapshot(new String(r.body(), StandardCharsets.UTF_8));
    }

    @Override
    public Chunk read(long from, int maxBytes) throws IOException {
        HttpResponse<byte[]> r = get("/log?from=" + from + "&maxBytes=" + maxBytes);
        String next = r.headers().firstValue("Strand-Next").orElseThrow(() ->
                new IOException(base + "/log answered without Strand-Next"));
        try {
            return new Chunk(ByteBuffer.wrap(r.body()), Long.parseLong(next));
        } catch (NumberFormatException e) {
            throw new IOException(base + "/log answered Strand-Next: " + next);
        }
    }

    /** The snapshot in a {@code GET /cluster} body; null for {@code "snapshot": null}. */
    static SnapshotFile parseSnapshot(String json) throws IOException {
        Matcher m = SNAPSHOT.matcher(json);
        if (!m.find()) {
            throw new IOException("GET /cluster has no \"snapshot\" (a node older than snapshot installs?)");
        }
        if (m.group(2) == null) {
            return null;
        }
        long term = -1;
        long index = -1;
        long position = -1;
        Matcher f = FIELD.matcher(m.group(2));
        while (f.find()) {
            long v = Long.parseLong(f.group(2));
            switch (f.group(1)) {
                case "term" -> term = v;
                case "index" -> index = v;
                default -> position = v;
            }
        }
        if (term < 0 || index < 0 || position < 0) {
            throw new IOException("GET /cluster has an incomplete snapshot: " + m.group());
        }
        return new SnapshotFile(term, index, position);
    }

    private HttpResponse<byte[]> get(String pathAndQuery) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(timeout).GET();
        if (secret != null) {
            b.header("Authorization", "Bearer " + secret);
        }
        HttpRequest request = b.build();
        HttpResponse<byte[]> r;
        try {
            r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("GET " + base + pathAndQuery + " interrupted");
        }
        if (r.statusCode() != 200) {
            // The problem's text says why (410: retention deleted what we need; 503: starting).
            String body = new String(r.body(), 0, Math.min(r.body().length, 500), StandardCharsets.UTF_8);
            throw new IOException("GET " + base + pathAndQuery + " answered " + r.statusCode() + ": " + body);
        }
        return r;
    }
}
