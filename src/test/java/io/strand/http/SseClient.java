package io.strand.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real Server-Sent Events client over a socket (the JDK's HttpClient, HTTP/1.1): parses frames
 * as they arrive on its own thread. {@link #close()} drops the connection, as a browser tab would.
 */
final class SseClient implements AutoCloseable {
    record Frame(String id, String event, String data) {
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    final int status;
    final Map<String, List<String>> headers;
    private final InputStream body;
    private final LinkedBlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    final List<String> comments = java.util.Collections.synchronizedList(new ArrayList<>());
    /** The ids of {@code id:}-only frames (a filtered stream's checkpoints), in order. */
    final java.util.concurrent.LinkedBlockingQueue<String> checkpoints = new java.util.concurrent.LinkedBlockingQueue<>();
    /** Every {@code retry:} value the server sent, in order. */
    final List<String> retries = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;
    private volatile boolean reading = true;

    private SseClient(HttpResponse<InputStream> response, boolean read) {
        this.status = response.statusCode();
        this.headers = response.headers().map();
        this.body = response.body();
        this.reader = new Thread(this::read, "sse-client");
        reader.setDaemon(true);
        if (read) {
            reader.start();
        }
    }

    static SseClient open(String url, String... headers) throws IOException, InterruptedException {
        return open(url, true, headers);
    }

    /** With {@code read} false nothing is read until {@link #startReading()}: a stalled client. */
    static SseClient open(String url, boolean read, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return new SseClient(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()), read);
    }

    void startReading() {
        reader.start();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            String line;
            while (reading && (line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        frames.add(new Frame(id, event, data.toString()));
                    } else if (id != null) {
                        checkpoints.add(id);
                    }
                    id = null;
                    event = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    comments.add(line);
                } else if (line.startsWith("retry: ")) {
                    retries.add(line.substring(7));
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** The next {@code n} frames, waiting up to {@code seconds} in all. */
    List<Frame> take(int n, int seconds) throws InterruptedException {
        List<Frame> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (out.size() < n) {
            Frame f = frames.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("got " + out.size() + " of " + n + " frames within " + seconds + " s: " + out);
            }
            out.add(f);
        }
        return out;
    }

    /** A frame if one arrives within {@code millis}, else null. */
    Frame poll(long millis) throws InterruptedException {
        return frames.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Whether the server ended the stream (the reader saw its end) within {@code millis}. */
    boolean awaitEnd(long millis) throws InterruptedException {
        reader.join(millis);
        return !reader.isAlive();
    }

    @Override
    public void close() throws IOException {
        reading = false;
        body.close();
    }
}
