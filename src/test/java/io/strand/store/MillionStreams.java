package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;
import io.strand.log.LogOverloadedException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Child-JVM main for {@link ScaleTest}: appends ten events to each of a million streams (ten rounds
 * of one single-event append per stream, thousands in flight), reads every stream back, lists them,
 * prints memory, file and mapping figures as {@code KEY value} lines on stdout, then closes, reopens
 * in the same JVM and spot-checks. Exits 0 when everything checked out, non-zero otherwise.
 *
 * <p>Arguments: data directory, optionally the number of streams (default 1,000,000) and the dedup
 * window in seconds (default: {@link StoreConfig#defaults()}'s).
 */
public final class MillionStreams {
    static final int EVENTS_PER_STREAM = 10;
    /** Appends joined per window. */
    private static final int WINDOW = 4096;
    private static final int SPOT_CHECKS = 10_000;

    private static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);

    private final Path dir;
    private final int streams;

    private final StoreConfig storeConfig;

    private MillionStreams(Path dir, int streams, StoreConfig storeConfig) {
        this.dir = dir.toAbsolutePath();
        this.streams = streams;
        this.storeConfig = storeConfig;
    }

    public static void main(String[] args) {
        try {
            int streams = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
            StoreConfig config = args.length > 2 // a dedup window in seconds, for diagnosis
                    ? new StoreConfig(Duration.ofSeconds(Long.parseLong(args[2])), StoreConfig.defaults().maxPageSize())
                    : StoreConfig.defaults();
            new MillionStreams(Path.of(args[0]), streams, config).run();
            OUT.println("RESULT ok");
            System.exit(0);
        } catch (Throwable t) {
            OUT.println("RESULT failed: " + t);
            t.printStackTrace();
            System.exit(1);
        }
    }

    static LogConfig logConfig(Path dir) {
        return LogConfig.defaults(dir)
                .withSegmentSize(256 << 20)
                .withPool(true, 8, 4 << 20)
                .withFlush(FlushMode.ASYNC, Duration.ofMillis(500));
    }

    static String name(int n) {
        return "stream-" + n;
    }

    /** Event {@code version} of stream {@code n}: distinct id, ~100 bytes of JSON, a pure function of both. */
    static NewEvent event(int n, int version) {
        return new NewEvent(id(n, version), type(version), data(n, version), null, false);
    }

    static UUID id(int n, int version) {
        return new UUID(0x4D53_0000_0000_0000L | n, 0x5354_0000_0000_0000L | version);
    }

    static String type(int version) {
        return "Scale" + (version % 3);
    }

    static byte[] data(int n, int version) {
        StringBuilder b = new StringBuilder(112)
                .append("{\"stream\":").append(n).append(",\"version\":").append(version).append(",\"pad\":\"");
        int pad = 100 - 2 - b.length(); // 100 bytes in all
        for (int i = 0; i < pad; i++) {
            b.append((char) ('a' + (n + version + i) % 26));
        }
        return b.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private void run() throws Exception {
        OUT.println("STREAMS " + streams);
        OUT.println("JAVA_VERSION " + Runtime.version().feature());
        OUT.println("DEDUP_WINDOW_SECONDS " + storeConfig.dedupWindow().toSeconds());
        OUT.println("MAX_HEAP_MIB " + Runtime.getRuntime().maxMemory() / (1 << 20));
        long start = System.nanoTime();

        CommitLog log = CommitLog.open(logConfig(dir));
        EventStore store = EventStore.open(log, storeConfig);

        long t0 = System.nanoTime();
        long retries = appendAll(store);
        double appendSeconds = seconds(t0);
        OUT.println("APPEND_SECONDS " + fmt(appendSeconds));
        OUT.println("APPENDS_PER_SECOND " + (long) (streams * (double) EVENTS_PER_STREAM / appendSeconds));
        OUT.println("OVERLOAD_RETRIES " + retries);
        printMemory("AFTER_APPEND_");
        printFiles("AFTER_APPEND_");

        long t1 = System.nanoTime();
        readAll(store);
        double readSeconds = seconds(t1);
        OUT.println("READ_SECONDS " + fmt(readSeconds));
        OUT.println("READS_PER_SECOND " + (long) (streams * (double) EVENTS_PER_STREAM / readSeconds));

        checkInfo(store, new Random(1), 10_000);
        long t2 = System.nanoTime();
        long listed = countListed(store, true);
        OUT.println("LIST_SECONDS " + fmt(seconds(t2)));
        OUT.println("LISTED_STREAMS " + listed);
        check(listed == streams, "listStreams counted " + listed + " streams, expected " + streams);

        printMemory("");
        printIndex(store, "");
        printFiles("");
        OUT.println("ELAPSED_SECONDS " + fmt(seconds(start)));

        long tc = System.nanoTime();
        store.close();
        log.close();
        OUT.println("CLOSE_SECONDS " + fmt(seconds(tc)));
        store = null;
        log = null;
        printMemory("AFTER_CLOSE_");
        printFiles("AFTER_CLOSE_");

        long t3 = System.nanoTime();
        log = CommitLog.open(logConfig(dir));
        try {
            store = EventStore.open(log, storeConfig);
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
        OUT.println("REOPEN_SECONDS " + fmt(seconds(t3)));
        OUT.println("RECOVERED_CLEANLY " + log.recoveredCleanly());
        OUT.println("LOADED_ENTRIES " + store.index().loadedEntries());
        OUT.println("REBUILT_ENTRIES " + store.index().rebuiltEntries());
        try {
            long t4 = System.nanoTime();
            Random random = new Random(2);
            for (int i = 0; i < SPOT_CHECKS; i++) {
                checkStream(store, random.nextInt(streams));
            }
            checkStream(store, 0);
            checkStream(store, streams - 1);
            checkInfo(store, new Random(3), 1_000);
            long relisted = countListed(store, false);
            OUT.println("REOPEN_LISTED_STREAMS " + relisted);
            check(relisted == streams, "after reopen listStreams counted " + relisted + " streams, expected " + streams);
            OUT.println("REOPEN_CHECK_SECONDS " + fmt(seconds(t4)));
            printMemory("REOPEN_");
            printIndex(store, "REOPEN_");
            printFiles("REOPEN_");
        } finally {
            store.close();
            log.close();
        }
        OUT.println("TOTAL_SECONDS " + fmt(seconds(start)));
    }

    // ---------------------------------------------------------------- appends

    /** Ten rounds, one single-event append per stream each, {@link #WINDOW} in flight; returns overload retries. */
    private long appendAll(EventStore store) throws InterruptedException {
        long retries = 0;
        int[] window = new int[WINDOW];
        @SuppressWarnings("unchecked")
        CompletableFuture<AppendOutcome>[] stages = new CompletableFuture[WINDOW];
        for (int v = 0; v < EVENTS_PER_STREAM; v++) {
            long round = System.nanoTime();
            int filled = 0;
            for (int n = 0; n < streams; n++) {
                window[filled] = n;
                stages[filled] = submit(store, n, v);
                filled++;
                if (filled == WINDOW || n == streams - 1) {
                    retries += settle(store, window, stages, filled, v);
                    filled = 0;
                }
            }
            OUT.println("PROGRESS round " + v + " appended in " + fmt(seconds(round)) + " s, heap used "
                    + usedMiB() + " MiB, dedup " + store.index().dedup().size() + " entries in "
                    + store.index().dedup().generationCount() + " generations, "
                    + store.index().dedup().footprintBytes() / (1 << 20) + " MiB");
        }
        return retries;
    }

    private static CompletableFuture<AppendOutcome> submit(EventStore store, int n, int v) {
        return store.append(name(n), List.of(event(n, v)), v - 1, Durability.COMMITTED).toCompletableFuture();
    }

    /** Joins a window; re-sends those refused as overloaded (with back-off) until all are appended. */
    private static long settle(EventStore store, int[] window, CompletableFuture<AppendOutcome>[] stages, int count, int v)
            throws InterruptedException {
        long retries = 0;
        int[] again = new int[count];
        int pending = count;
        int[] ns = Arrays.copyOf(window, count);
        CompletableFuture<AppendOutcome>[] fs = Arrays.copyOf(stages, count);
        long backoffMicros = 50;
        while (true) {
            int refused = 0;
            for (int i = 0; i < pending; i++) {
                try {
                    AppendOutcome o = fs[i].join();
                    if (o.firstVersion() != v || o.lastVersion() != v || o.duplicate()) {
                        throw new AssertionError("stream " + name(ns[i]) + " round " + v + ": unexpected outcome " + o);
                    }
                } catch (CompletionException e) {
                    if (e.getCause() instanceof LogOverloadedException) {
                        again[refused++] = ns[i];
                    } else {
                        throw new AssertionError("append to " + name(ns[i]) + " version " + v + " failed", e.getCause());
                    }
                }
            }
            if (refused == 0) {
                return retries;
            }
            retries += refused;
            TimeUnit.MICROSECONDS.sleep(backoffMicros);
            backoffMicros = Math.min(backoffMicros * 2, 20_000);
            for (int i = 0; i < refused; i++) {
                ns[i] = again[i];
                fs[i] = submit(store, again[i], v);
            }
            pending = refused;
        }
    }

    // ---------------------------------------------------------------- reads

    private void readAll(EventStore store) {
        for (int n = 0; n < streams; n++) {
            checkStream(store, n);
        }
    }

    private static void checkStream(EventStore store, int n) {
        String name = name(n);
        ReadPage page = store.readStream(name, 0, EVENTS_PER_STREAM, Direction.FORWARD);
        check(page.events().size() == EVENTS_PER_STREAM, name + ": read " + page.events().size() + " events");
        check(page.next() == -1, name + ": a next page after version 9: " + page.next());
        for (int v = 0; v < EVENTS_PER_STREAM; v++) {
            RecordedEvent e = page.events().get(v);
            if (e.version() != v || !e.stream().equals(name) || !e.id().equals(id(n, v)) || !e.type().equals(type(v))
                    || !Arrays.equals(e.data(), data(n, v)) || e.metadata().length != 0 || e.binary()) {
                throw new AssertionError(name + " version " + v + " differs: " + e + " data="
                        + new String(e.data(), StandardCharsets.UTF_8));
            }
        }
    }

    private void checkInfo(EventStore store, Random random, int samples) {
        for (int i = 0; i < samples; i++) {
            int n = random.nextInt(streams);
            StreamInfo info = store.streamInfo(name(n));
            check(info.name().equals(name(n)) && info.firstVersion() == 0 && info.lastVersion() == EVENTS_PER_STREAM - 1,
                    "streamInfo of " + name(n) + ": " + info);
        }
    }

    /** Pages through listStreams; with {@code inOrder}, also checks creation order is stream-0, stream-1, ... */
    private static long countListed(EventStore store, boolean inOrder) {
        long count = 0;
        long cursor = 0;
        int max = StoreConfig.defaults().maxPageSize();
        while (cursor >= 0) {
            StreamPage page = store.listStreams(cursor, max);
            for (StreamInfo s : page.streams()) {
                check(s.firstVersion() == 0 && s.lastVersion() == EVENTS_PER_STREAM - 1, "listed " + s);
                if (inOrder) {
                    check(s.name().equals(name((int) count)), "listed " + s.name() + " at " + count);
                }
                count++;
            }
            check(page.next() < 0 || page.next() > cursor, "list cursor did not advance: " + cursor + " -> " + page.next());
            cursor = page.next();
        }
        return count;
    }

    // ---------------------------------------------------------------- figures

    private static void printMemory(String prefix) {
        gc();
        var memory = ManagementFactory.getMemoryMXBean();
        OUT.println(prefix + "HEAP_USED_AFTER_GC_BYTES " + memory.getHeapMemoryUsage().getUsed());
        OUT.println(prefix + "HEAP_USED_AFTER_GC_MIB " + memory.getHeapMemoryUsage().getUsed() / (1 << 20));
        OUT.println(prefix + "HEAP_COMMITTED_MIB " + memory.getHeapMemoryUsage().getCommitted() / (1 << 20));
        OUT.println(prefix + "NON_HEAP_USED_MIB " + memory.getNonHeapMemoryUsage().getUsed() / (1 << 20));
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        OUT.println(prefix + "HEAP_POOLS_PEAK_SUM_MIB " + peak / (1 << 20));
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            String key = b.getName().toUpperCase().replaceAll("[^A-Z0-9]+", "_");
            OUT.println(prefix + "BUFFERS_" + key + "_COUNT " + b.getCount());
            OUT.println(prefix + "BUFFERS_" + key + "_MIB " + b.getMemoryUsed() / (1 << 20));
        }
        long gcCount = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcCount += g.getCollectionCount();
            gcMillis += g.getCollectionTime();
        }
        OUT.println(prefix + "GC_COUNT " + gcCount);
        OUT.println(prefix + "GC_MILLIS " + gcMillis);
    }

    private static void printIndex(EventStore store, String prefix) {
        var index = store.index();
        OUT.println(prefix + "CATALOG_STREAMS " + index.catalog().size());
        OUT.println(prefix + "DEDUP_ENTRIES " + index.dedup().size());
        OUT.println(prefix + "DEDUP_FOOTPRINT_BYTES " + index.dedup().footprintBytes());
        OUT.println(prefix + "DEDUP_FOOTPRINT_MIB " + index.dedup().footprintBytes() / (1 << 20));
        OUT.println(prefix + "DEDUP_GENERATIONS " + index.dedup().generationCount());
        OUT.println(prefix + "INDEXED_POSITION " + index.indexedPosition());
        OUT.println(prefix + "LOG_COMMITTED_POSITION " + store.log().committedPosition());
        OUT.println(prefix + "LOG_SEGMENTS " + store.log().segmentCount());
    }

    private void printFiles(String prefix) throws IOException {
        long fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count() - 1; // the listing's own descriptor
        }
        OUT.println(prefix + "OPEN_FDS " + fds);
        // The JVM keeps the class path's jars open (ServiceLoader look-ups open every one of them):
        // a fixed number that depends on the class path, not on the store, so it is counted apart.
        long dataFds = 0;
        long jarFds = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (target.startsWith(dir.toString())) {
                        dataFds++;
                    } else if (target.endsWith(".jar")) {
                        jarFds++;
                    }
                } catch (IOException gone) {
                    // closed meanwhile (e.g. the listing's own descriptor)
                }
            }
        }
        OUT.println(prefix + "OPEN_DATA_FDS " + dataFds);
        OUT.println(prefix + "OPEN_JAR_FDS " + jarFds);
        OUT.println(prefix + "OPEN_NON_JAR_FDS " + (fds - jarFds));
        long maps = 0;
        long dataMaps = 0;
        List<String> files = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/self/maps"))) {
            String line;
            while ((line = r.readLine()) != null) {
                maps++;
                int at = line.indexOf(dir.toString());
                if (at >= 0) {
                    dataMaps++;
                    String file = line.substring(at);
                    if (!files.contains(file)) {
                        files.add(file);
                    }
                }
            }
        }
        OUT.println(prefix + "MAPS_LINES " + maps);
        OUT.println(prefix + "MAPPED_DATA_LINES " + dataMaps);
        OUT.println(prefix + "MAPPED_DATA_FILES " + files.size());
        long dataBytes;
        try (Stream<Path> s = Files.walk(dir)) {
            dataBytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        OUT.println(prefix + "DATA_DIR_MIB " + dataBytes / (1 << 20));
    }

    private static void gc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
    }

    private static long usedMiB() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1 << 20);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private static String fmt(double d) {
        return String.format(java.util.Locale.ROOT, "%.2f", d);
    }
}
