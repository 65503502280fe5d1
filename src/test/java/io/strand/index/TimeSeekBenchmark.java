package io.strand.index;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How long {@code fromTime=} takes to find its start in a large log: the entries files of a log of
 * {@code log} GiB (default 10) of {@code record}-byte records (default 256: 42 million events) in
 * segments of {@code segment} GiB (default 1), written as the indexer writes them, one timestamp per
 * millisecond per 1,000 events; then {@code seeks} (default 10,000) binary searches at random times,
 * each timed. The log itself is not written: a seek reads only these files (the indexer's unwritten
 * tail, at most a few thousand records, is read from the log on top). Files under
 * {@code target/bench-timeseek}, deleted at the end.
 *
 * <pre>
 *   ./mvnw -q -o test-compile exec:exec -Dexec.executable=java \
 *       -Dexec.args="-cp %classpath io.strand.index.TimeSeekBenchmark"
 * </pre>
 */
public final class TimeSeekBenchmark {
    private TimeSeekBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double logGiB = 10;
        int record = 256;
        double segmentGiB = 1;
        int seeks = 10_000;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "log" -> logGiB = Double.parseDouble(kv[1]);
                case "record" -> record = Integer.parseInt(kv[1]);
                case "segment" -> segmentGiB = Double.parseDouble(kv[1]);
                case "seeks" -> seeks = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a + " (log=GiB, record=B, segment=GiB, seeks=N)");
            }
        }
        long segment = (long) (segmentGiB * (1L << 30));
        long events = (long) (logGiB * (1L << 30)) / record;
        Path dir = Paths.get("target", "bench-timeseek");
        deleteDir(dir);
        long started = System.nanoTime();
        try (EntryFiles files = new EntryFiles(dir, segment)) {
            for (long i = 0; i < events; i++) {
                files.append(i * record, i, 1_000_000 + i / 1000, i, 0);
            }
            files.sync();
            double writeSeconds = (System.nanoTime() - started) / 1e9;
            long bytes = files.bytes();
            System.out.printf(Locale.ROOT, "- entries of a %.0f GiB log: %,d events, %d files, %,d MB of entries, written in %.1f s%n",
                    logGiB, events, (events * record + segment - 1) / segment, bytes / 1_000_000, writeSeconds);
            SplittableRandom random = new SplittableRandom(42);
            long lastTime = 1_000_000 + (events - 1) / 1000;
            long first = System.nanoTime();
            files.seekTime(1_000_000 + random.nextLong(lastTime - 1_000_000));
            double firstMicros = (System.nanoTime() - first) / 1e3;
            long[] nanos = new long[seeks];
            for (int i = 0; i < seeks; i++) {
                long t = 1_000_000 + random.nextLong(lastTime - 1_000_000 + 1);
                long s = System.nanoTime();
                TimeSeek.Found f = files.seekTime(t);
                nanos[i] = System.nanoTime() - s;
                long expected = (t - 1_000_000) * 1000 * record;
                if (!f.exact() || f.position() != expected) {
                    throw new IllegalStateException("seek " + t + " found " + f + ", expected " + expected);
                }
            }
            Arrays.sort(nanos);
            System.out.printf(Locale.ROOT, "- first seek %.0f us; %,d seeks at random times: p50 %.0f us, p99 %.0f us, max %.0f us%n",
                    firstMicros, seeks, nanos[seeks / 2] / 1e3, nanos[(int) (seeks * 0.99)] / 1e3, nanos[seeks - 1] / 1e3);
        } finally {
            deleteDir(dir);
        }
    }

    private static void deleteDir(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
