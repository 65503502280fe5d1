package io.strand.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Filtered {@code $all} catch-up, where 1% of the records match: records scanned per second and
 * events delivered per second, for pages ({@code GET /all?type=Rare}, following {@code next}) and
 * for a subscription ({@code Accept: text/event-stream}, until the last match), against the same
 * unfiltered reads in the same run. The packaged server runs as a child process on 127.0.0.1
 * ({@link HttpBenchServer}) with a fresh data directory under {@code target/bench-filter}.
 *
 * <pre>
 *   ./mvnw -q -o -DskipTests package exec:exec -Dexec.executable=java \
 *       -Dexec.args="-cp %classpath io.strand.bench.FilterBenchmark"
 * </pre>
 *
 * Arguments (optional): {@code records=1000000} (written in batches of 1,000, 128-byte data),
 * {@code every=100} (one record in this many matches), {@code rounds=3}, {@code keep}.
 */
public final class FilterBenchmark {
    private static final Pattern NEXT = Pattern.compile("\"next\":(-?\\d+|null)");
    private static final Pattern EVENT = Pattern.compile("\"position\":");

    private FilterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long records = 1_000_000;
        int every = 100;
        int rounds = 3;
        boolean keep = false;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "records" -> records = Long.parseLong(kv[1]);
                case "every" -> every = Integer.parseInt(kv[1]);
                case "rounds" -> rounds = Integer.parseInt(kv[1]);
                case "keep" -> keep = true;
                default -> throw new IllegalArgumentException("unknown argument " + a + " (records=N, every=N, rounds=N, keep)");
            }
        }
        Path dir = Paths.get("target", "bench-filter");
        HttpBenchServer.deleteDir(dir);
        Path jar = Paths.get("target", "quarkus-app", "quarkus-run.jar");
        try (HttpBenchServer server = HttpBenchServer.start(dir, jar, 1024, List.of(), keep, 120)) {
            String base = "http://127.0.0.1:" + server.port;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
            long matches = fill(http, base, records, every);
            System.out.printf(Locale.ROOT, "- %,d records in $all, %,d of them (1 in %d) of type Rare; JVM %s%n", records, matches, every,
                    System.getProperty("java.version"));
            for (int r = 1; r <= rounds; r++) {
                report(r, "pages, unfiltered (limit=1000)", records, pages(http, base + "/all?limit=1000"), records);
                report(r, "pages, type=Rare (limit=1000)", records, pages(http, base + "/all?limit=1000&type=Rare"), matches);
                report(r, "SSE, unfiltered", records, sse(http, base + "/all", records), records);
                report(r, "SSE, type=Rare", records, sse(http, base + "/all?type=Rare", matches), matches);
            }
        }
    }

    /** Appends {@code records} events in batches of 1,000; returns how many are of type Rare. */
    private static long fill(HttpClient http, String base, long records, int every) throws Exception {
        String data = "\"" + "x".repeat(110) + "\"";
        long rare = 0;
        List<CompletableFuture<HttpResponse<String>>> inFlight = new java.util.ArrayList<>();
        for (long k = 0; k < records; ) {
            StringBuilder batch = new StringBuilder("[");
            int n = (int) Math.min(1000, records - k);
            for (int i = 0; i < n; i++, k++) {
                boolean match = k % every == every - 1;
                rare += match ? 1 : 0;
                batch.append(i > 0 ? "," : "").append("{\"type\":\"").append(match ? "Rare" : "Common").append("\",\"data\":{\"pad\":")
                        .append(data).append("}}");
            }
            inFlight.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/streams/s-" + (k / 1000 % 100)))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(batch.append(']').toString()))
                    .build(), HttpResponse.BodyHandlers.ofString()));
            if (inFlight.size() == 8) {
                drain(inFlight);
            }
        }
        drain(inFlight);
        return rare;
    }

    private static void drain(List<CompletableFuture<HttpResponse<String>>> inFlight) throws Exception {
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            if (r.statusCode() != 201) {
                throw new IllegalStateException("append answered " + r.statusCode() + ": " + r.body());
            }
        }
        inFlight.clear();
    }

    /** Reads every page from the start; returns {nanos, events}. */
    private static long[] pages(HttpClient http, String uri) throws Exception {
        long started = System.nanoTime();
        long events = 0;
        String next = "0";
        while (!next.equals("null") && !next.equals("-1")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri + "&from=" + next)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(uri + " answered " + r.statusCode() + ": " + r.body());
            }
            Matcher e = EVENT.matcher(r.body());
            while (e.find()) {
                events++;
            }
            Matcher m = NEXT.matcher(r.body());
            next = m.find() ? m.group(1) : "null";
        }
        return new long[] {System.nanoTime() - started, events};
    }

    /** Subscribes from the start until {@code expect} events arrived; returns {nanos, events}. */
    private static long[] sse(HttpClient http, String uri, long expect) throws Exception {
        long started = System.nanoTime();
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(uri)).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long events = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8), 1 << 16)) {
            String line;
            while (events < expect && (line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    events++;
                }
            }
        }
        return new long[] {System.nanoTime() - started, events};
    }

    private static void report(int round, String what, long scanned, long[] result, long expect) {
        double seconds = result[0] / 1e9;
        if (result[1] != expect) {
            throw new IllegalStateException(what + ": " + result[1] + " events, expected " + expect);
        }
        System.out.printf(Locale.ROOT, "round %d  %-32s %6.2f s   records scanned %,12.0f/s   events delivered %,12.0f/s%n",
                round, what, seconds, scanned / seconds, result[1] / seconds);
    }
}
