package io.strand.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Prometheus (Debian's {@code prometheus} package, which {@code .ci/run} installs) scrapes
 * the packaged server's {@code /q/metrics} on 127.0.0.1 and stores Strand's counters; and Debian's
 * {@code promtool} parses the text exposition format of the same endpoint and finds nothing to
 * lint in Strand's own metrics (the findings it prints are about Quarkus's and Micrometer's
 * meters; README, "Metrics").
 *
 * <p>Without the binaries the test fails under {@code CI=true} and is skipped elsewhere.
 */
class PrometheusIT {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Duration SCRAPE_WAIT = Duration.ofSeconds(60);

    @Test
    void prometheusScrapesStrandAndStoresItsCounters(@TempDir Path dir) throws Exception {
        requireInstalled(PROMETHEUS);
        try (ServerProcess server = ServerProcess.start(dir.resolve("data"))) {
            server.awaitStatus("/q/health/started", 200, 120);
            HttpResponse<String> appended = server.postJson("/streams/scraped", "{\"type\":\"Scraped\",\"data\":{}}");
            assertEquals(201, appended.statusCode(), appended.body());

            int port = freePort();
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, String.join("\n",
                    "global:",
                    "  scrape_interval: 1s",
                    "  evaluation_interval: 1s",
                    "scrape_configs:",
                    "  - job_name: strand",
                    "    metrics_path: /q/metrics",
                    "    static_configs:",
                    "      - targets: ['127.0.0.1:" + server.port + "']",
                    ""));
            Path log = dir.resolve("prometheus.log");
            Process prometheus = new ProcessBuilder(PROMETHEUS.toString(),
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                awaitScraped(prometheus, port, log);
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                    prometheus.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void promtoolParsesTheTextFormatAndFindsNothingInStrandsMetrics(@TempDir Path dir) throws Exception {
        requireInstalled(PROMTOOL);
        try (ServerProcess server = ServerProcess.start(dir.resolve("data"))) {
            server.awaitStatus("/q/health/started", 200, 120);
            assertEquals(201, server.postJson("/streams/linted", "{\"type\":\"Linted\",\"data\":{}}").statusCode());
            HttpResponse<String> metrics = ServerProcess.HTTP.send(HttpRequest.newBuilder(server.uri("/q/metrics"))
                    .timeout(Duration.ofSeconds(30)).header("Accept", "text/plain").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    metrics.headers().toString());
            assertTrue(metrics.body().contains("strand_appends_total 1.0"), metrics.body());

            Path input = dir.resolve("metrics.txt");
            Files.writeString(input, metrics.body());
            Process promtool = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics")
                    .redirectInput(input.toFile()).redirectErrorStream(true).start();
            String out = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(promtool.waitFor(30, TimeUnit.SECONDS), "promtool finished");
            // 0: clean; 3: lint findings (the exposition parsed); 1: it could not parse the exposition
            assertTrue(promtool.exitValue() == 0 || promtool.exitValue() == 3,
                    "promtool check metrics: exit " + promtool.exitValue() + "\n" + out);
            assertTrue(!out.contains("error while linting"), out);
            List<String> strandFindings = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (line.startsWith("strand_")) {
                    strandFindings.add(line);
                }
            }
            assertEquals(List.of(), strandFindings, "promtool's findings about Strand's own metrics");
        }
    }

    /** Polls Prometheus's HTTP API until the target is up and strand_appends_total holds the append. */
    private static void awaitScraped(Process prometheus, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + SCRAPE_WAIT.toNanos();
        String lastTargets = "";
        String lastQuery = "";
        while (System.nanoTime() < deadline) {
            if (!prometheus.isAlive()) {
                fail("prometheus exited: " + prometheus.exitValue() + "\n" + Files.readString(log));
            }
            try {
                lastTargets = apiGet(port, "/api/v1/targets");
                lastQuery = apiGet(port, "/api/v1/query?query=" + URLEncoder.encode("strand_appends_total", StandardCharsets.UTF_8));
                if (targetUp(lastTargets) && storedAtLeastOne(lastQuery)) {
                    return;
                }
            } catch (IOException notListening) {
                // prometheus is still starting
            }
            Thread.sleep(250);
        }
        fail("within " + SCRAPE_WAIT.toSeconds() + " s Prometheus did not report the target up with strand_appends_total >= 1"
                + "\ntargets: " + lastTargets + "\nquery: " + lastQuery + "\nlog:\n" + Files.readString(log));
    }

    private static boolean targetUp(String targets) {
        JsonArray active = new JsonObject(targets).getJsonObject("data").getJsonArray("activeTargets");
        for (int i = 0; i < active.size(); i++) {
            JsonObject target = active.getJsonObject(i);
            if ("up".equals(target.getString("health"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean storedAtLeastOne(String query) {
        JsonObject body = new JsonObject(query);
        if (!"success".equals(body.getString("status"))) {
            return false;
        }
        JsonArray result = body.getJsonObject("data").getJsonArray("result");
        // an instant vector: [{"metric": {...}, "value": [time, "1"]}]
        return !result.isEmpty() && Double.parseDouble(result.getJsonObject(0).getJsonArray("value").getString(1)) >= 1;
    }

    private static String apiGet(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = ServerProcess.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("prometheus answered " + r.statusCode() + " to " + path + ": " + r.body());
        }
        return r.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** CI installs the prometheus package (.ci/run); elsewhere the test is skipped without it. */
    static void requireInstalled(Path binary) {
        if (Files.isExecutable(binary)) {
            return;
        }
        String message = binary + " is missing: install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does";
        if ("true".equals(System.getenv("CI"))) {
            fail(message);
        }
        Assumptions.abort(message);
    }
}
