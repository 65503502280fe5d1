package io.strand.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code rounds=N}: the selected cases run round-robin N times per size, so that each round's
 * cases see the same state of the machine (this VM's cost of a fresh page swings 0.4-2.5 GB/s with
 * the host's memory, minutes apart), in an order rotated by one every round. Prints every round, then per case the median and range, and
 * for each case the median of its per-round ratio to {@code mmap-fresh-async} (a sync case: to
 * the single sync appender of its kind) — the ratios the targets are about, taken from cases that
 * ran seconds apart.
 */
final class Rounds {
    private static final String BASELINE = "mmap-fresh-async";

    private Rounds() {
    }

    static void run(List<LogBenchmark.Case> cases, int rounds) throws Exception {
        List<LogBenchmark.Case> selected = new ArrayList<>();
        for (LogBenchmark.Case c : cases) {
            if (LogBenchmark.selected(c.id())) {
                selected.add(c);
            }
        }
        for (int size : LogBenchmark.sizes) {
            Map<String, double[]> rates = new LinkedHashMap<>();
            for (LogBenchmark.Case c : selected) {
                rates.put(c.id(), new double[rounds]);
            }
            for (int r = 0; r < rounds; r++) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d, %d B:", r + 1, size));
                for (int k = 0; k < selected.size(); k++) {
                    // Each round starts one case later: a case that follows one that freed lots of
                    // page cache gets warm pages, so no case should always hold the same place.
                    LogBenchmark.Case c = selected.get((k + r) % selected.size());
                    double rate = c.body().run(size, c).rate();
                    rates.get(c.id())[r] = rate;
                    line.append(String.format(Locale.ROOT, "  %s %s/s", c.id(), LogBenchmark.grouped(rate)));
                }
                System.out.println(line);
            }
            System.out.printf(Locale.ROOT, "%n| case, %d B, %d rounds | median records/s | min | max | median per-round ratio |%n",
                    size, rounds);
            System.out.println("| --- | ---: | ---: | ---: | ---: |");
            for (Map.Entry<String, double[]> e : rates.entrySet()) {
                double[] v = e.getValue().clone();
                // Async cases against the plain loop; sync cases against one sync appender.
                String baseline = e.getKey().contains("-sync") ? e.getKey().replaceAll("-sync.*", "-sync1") : BASELINE;
                double[] base = rates.get(baseline);
                String ratio = "";
                if (base != null && !e.getKey().equals(baseline)) {
                    double[] ratios = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        ratios[r] = e.getValue()[r] / base[r];
                    }
                    ratio = String.format(Locale.ROOT, "%.2fx (to %s)", median(ratios), baseline);
                }
                Arrays.sort(v);
                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", e.getKey(), LogBenchmark.grouped(median(v)),
                        LogBenchmark.grouped(v[0]), LogBenchmark.grouped(v[v.length - 1]), ratio);
            }
            System.out.println();
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
