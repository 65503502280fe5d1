package io.strand.bench;

import io.strand.log.AppendResult;
import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.EventRecord;
import io.strand.log.LogConfig;
import io.strand.log.LogOverloadedException;
import io.strand.log.Unmapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Append throughput of the Strand commit log against plain Java append loops, on this machine.
 *
 * <p>Cases (each in a fresh directory that is deleted afterwards, each sized by time: a warmup and
 * then a measured window, counted by the appending thread(s) themselves):
 * <ul>
 *   <li>{@code fc-async}: plain {@code FileChannel} loop, 64 KiB direct staging buffer, CRC32C per
 *       record, positional write whenever staging is full, over a pre-allocated (zero-written and
 *       fdatasync'ed) 1 GiB file that the loop wraps around;</li>
 *   <li>{@code fc-sync64}: the same, writing the staged records and calling {@code force(false)}
 *       every 64 records;</li>
 *   <li>{@code mmap-async}: plain {@code MappedByteBuffer} loop with CRC32C over a pre-allocated,
 *       pre-faulted (write-touched) 1 GiB mapping that the loop wraps around;</li>
 *   <li>{@code mmap-fresh-async}: the plain mapped loop appending to fresh 1 GiB files, preallocated
 *       like Strand's segments and kept like them (the async target's comparison);
 *       {@code mmap-fresh-sparse-async}: over sparse files; {@code mmap-fresh-drop-async}: each file
 *       deleted unflushed once full, so the kernel reuses its warm pages (a bound, not a log);</li>
 *   <li>{@code strand-{pool,nopool}-async}: one appender thread, one record per append,
 *       {@link Durability#COMMITTED}, pipelined with at most {@code inflight} appends in flight;</li>
 *   <li>{@code strand-{pool,nopool}-async-batch16}: the same loop, 16 records per append (one
 *       atomic batch), at most {@code inflight / 16} appends (so {@code inflight} records) in flight:
 *       the engine with its per-call cost (future, lock, waiter, wakeup) spread over 16 records;</li>
 *   <li>{@code strand-{pool,nopool}-sync{1,64}}: {@link Durability#FLUSHED}, N appender threads,
 *       each waiting for its own append before the next.</li>
 * </ul>
 * Record sizes are framed sizes (header included): the data length is chosen so that
 * {@link EventRecord#framedLength()} is exactly the size. Rates are records/s (one record per call
 * except in the batch16 cases); MB/s is 10^6 bytes/s of framed records.
 *
 * <p>Arguments (all optional): {@code quick} (short runs), {@code warmup=SECONDS},
 * {@code measure=SECONDS}, {@code sizes=128,1024}, {@code only=ID,ID...} (substring match on the
 * case id), {@code dir=PATH} (default {@code target/bench}), {@code inflight=8192},
 * {@code threads=64}, {@code keep} (do not delete directories), {@code exp=NAME[:k=v,...]} (run
 * one of the diagnostic experiments in {@link Experiments} instead: {@code timeline}, {@code touch},
 * {@code fsync}, {@code interference}, {@code encode}, {@code groupcommit}).
 */
public final class LogBenchmark {

    private static final int STAGING = 64 * 1024;
    private static final long PLAIN_FILE_SIZE = 1L << 30;
    private static final int PAGE = 4096;
    /** Records per append in the batch16 cases. */
    private static final int BATCH = 16;
    private static final String STREAM = "bench-stream";
    private static final String TYPE = "BenchEvent";
    /** Held strongly: java.util.logging keeps loggers weakly, and a collected logger forgets its level. */
    private static final java.util.logging.Logger LOG_LEVEL = java.util.logging.Logger.getLogger("io.strand.log");

    // ---------------------------------------------------------------- options

    static double warmupSeconds = 1.0;
    static double measureSeconds = 2.0;
    static int[] sizes = {128, 1024};
    static List<String> only = List.of();
    static Path root = Paths.get("target", "bench");
    static int inflight = 8192;
    /** With {@code rounds=N} (N > 1) the selected cases run round-robin N times; see {@link Rounds}. */
    static int rounds = 1;
    /** Async cases' flush interval (the server's default unless {@code flush-interval=MS} is given). */
    static java.time.Duration asyncFlushInterval;
    static int manyThreads = 64;
    static boolean keep;
    static String experiment;

    public static void main(String[] args) throws Exception {
        // The log's INFO lines (recovery at every open) would drown the output; warnings stay.
        LOG_LEVEL.setLevel(java.util.logging.Level.WARNING);
        for (String a : args) {
            for (String arg : a.trim().split("\\s+")) {
                parseArg(arg);
            }
        }
        Files.createDirectories(root);
        root = root.toAbsolutePath();
        System.out.println("# Strand log benchmark");
        System.out.println();
        System.out.println("- JVM: " + jvmDescription());
        System.out.println("- machine: " + machineDescription(root));
        System.out.printf(Locale.ROOT, "- warmup %.1f s, measure %.1f s per case, in-flight %d, sync threads %d, dir %s%n",
                warmupSeconds, measureSeconds, inflight, manyThreads, root);
        System.out.println("- load average at the start: " + loadAverage() + " (other processes share the 2 vCPUs)");
        System.out.println();
        if (experiment != null) {
            Experiments.run(experiment);
            return;
        }

        List<Case> cases = List.of(
                new Case("fc-async", "plain FileChannel.write loop, async", LogBenchmark::fileChannel, false),
                new Case("fc-sync64", "plain FileChannel.write loop, force(false) every 64", LogBenchmark::fileChannel, true),
                new Case("mmap-async", "plain MappedByteBuffer loop, pre-faulted, async", LogBenchmark::mapped, false),
                new Case("mmap-fresh-async", "plain MappedByteBuffer loop appending to fresh, preallocated 1 GiB files it keeps,"
                        + " async", (s, c) -> mappedFresh(s, c, false, false), false),
                new Case("mmap-fresh-sparse-async", "plain MappedByteBuffer loop appending to fresh, sparse 1 GiB files it keeps,"
                        + " async", (s, c) -> mappedFresh(s, c, true, false), false),
                new Case("mmap-fresh-drop-async", "plain MappedByteBuffer loop appending to fresh, preallocated 1 GiB files, each"
                        + " deleted unflushed once full, async", (s, c) -> mappedFresh(s, c, false, true), false),
                new Case("strand-pool-async", "Strand, pool on, async, 1 appender pipelined", (s, c) -> strandAsync(s, true), false),
                new Case("strand-pool-async-noforce", "Strand, pool on, async, 1 appender pipelined, no periodic force in the run"
                        + " (flush-interval 10 min: like the plain loops, nothing is forced)", (s, c) -> strandAsyncNoForce(s), false),
                new Case("strand-nopool-async", "Strand, pool off, async, 1 appender pipelined", (s, c) -> strandAsync(s, false), false),
                new Case("strand-pool-async-batch16", "Strand, pool on, async, 1 appender pipelined, 16 records per append",
                        (s, c) -> strandAsync(s, true, BATCH), false),
                new Case("strand-nopool-async-batch16", "Strand, pool off, async, 1 appender pipelined, 16 records per append",
                        (s, c) -> strandAsync(s, false, BATCH), false),
                new Case("strand-pool-sync1", "Strand, pool on, FLUSHED, 1 appender", (s, c) -> strandSync(s, true, 1), true),
                new Case("strand-pool-sync" + manyThreads, "Strand, pool on, FLUSHED, " + manyThreads + " appenders",
                        (s, c) -> strandSync(s, true, manyThreads), true),
                new Case("strand-pool-sync4x16", "Strand, pool on, FLUSHED, 4 appenders with 16 appends in flight each",
                        (s, c) -> strandSync(s, true, 4, 16), true),
                new Case("strand-nopool-sync1", "Strand, pool off, FLUSHED, 1 appender", (s, c) -> strandSync(s, false, 1), true),
                new Case("strand-nopool-sync" + manyThreads, "Strand, pool off, FLUSHED, " + manyThreads + " appenders",
                        (s, c) -> strandSync(s, false, manyThreads), true));

        if (rounds > 1) {
            Rounds.run(cases, rounds);
            return;
        }
        Map<String, Map<Integer, Result>> results = new LinkedHashMap<>();
        long start = System.nanoTime();
        for (int size : sizes) {
            for (Case c : cases) {
                if (!selected(c.id)) {
                    continue;
                }
                long gcBefore = gcMillis();
                long[] cpuBefore = cpuTicks();
                Result r = c.body.run(size, c);
                long[] cpuAfter = cpuTicks();
                long gc = gcMillis() - gcBefore;
                r.notes.add("gc " + gc + " ms");
                double wallTicks = (cpuAfter[3] - cpuBefore[3]) / (double) Runtime.getRuntime().availableProcessors();
                r.foreignCpu = wallTicks <= 0 ? 0 : Math.max(0, (cpuAfter[0] - cpuBefore[0]) - (cpuAfter[1] - cpuBefore[1])) / wallTicks;
                double steal = wallTicks <= 0 ? 0 : (cpuAfter[2] - cpuBefore[2]) / wallTicks;
                r.notes.add(String.format(Locale.ROOT, "other processes %.0f%% of a CPU, steal %.0f%%", 100 * r.foreignCpu, 100 * steal));
                results.computeIfAbsent(c.id, k -> new LinkedHashMap<>()).put(size, r);
                System.out.printf(Locale.ROOT, "%-28s %5d B  %12s records/s  %9.1f MB/s   (%s)%n", c.id, size,
                        grouped(r.rate()), r.mbPerSecond(size), String.join(", ", r.notes));
            }
        }
        System.out.printf(Locale.ROOT, "%n(total %.0f s; load average at the end: %s)%n%n", (System.nanoTime() - start) / 1e9,
                loadAverage());
        printTable(cases, results);
    }

    private static void parseArg(String arg) {
        if (arg.isEmpty()) {
            return;
        }
        String[] kv = arg.split("=", 2);
        switch (kv[0]) {
            case "quick" -> {
                warmupSeconds = 0.4;
                measureSeconds = 0.8;
            }
            case "warmup" -> warmupSeconds = Double.parseDouble(kv[1]);
            case "measure" -> measureSeconds = Double.parseDouble(kv[1]);
            case "sizes" -> sizes = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
            case "only" -> only = List.of(kv[1].split(","));
            case "dir" -> root = Paths.get(kv[1]);
            case "inflight" -> inflight = Integer.parseInt(kv[1]);
            case "threads" -> manyThreads = Integer.parseInt(kv[1]);
            case "keep" -> keep = true;
            case "rounds" -> rounds = Integer.parseInt(kv[1]);
            case "flush-interval" -> asyncFlushInterval = java.time.Duration.ofMillis(Long.parseLong(kv[1]));
            case "exp" -> experiment = kv[1];
            default -> throw new IllegalArgumentException("unknown argument: " + arg
                    + " (known: quick, warmup=S, measure=S, sizes=128,1024, only=ID,..., dir=PATH, inflight=N,"
                    + " threads=N, keep, exp=timeline|touch|fsync|interference|encode|groupcommit[:k=v,...])");
        }
    }

    static boolean selected(String id) {
        if (only.isEmpty()) {
            return true;
        }
        for (String o : only) {
            if (id.equals(o) || (o.endsWith("*") && id.startsWith(o.substring(0, o.length() - 1)))) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- model

    interface Body {
        Result run(int size, Case c) throws Exception;
    }

    record Case(String id, String title, Body body, boolean sync) {
    }

    /** Operations counted in the measured window, and its length. */
    static final class Result {
        final long ops;
        final long nanos;
        final List<String> notes = new ArrayList<>();
        /** CPU used by other processes while the case ran, in CPUs (0.25 = a quarter of one). */
        double foreignCpu;
        /** Fastest and slowest 100 ms sub-window (ops/s), single-thread cases only; 0 when not measured. */
        double best;
        double worst;

        Result(long ops, long nanos) {
            this.ops = ops;
            this.nanos = nanos;
        }

        double rate() {
            return ops * 1e9 / nanos;
        }

        double mbPerSecond(int size) {
            return rate() * size / 1e6;
        }
    }

    /** The window the appending thread(s) count in: warmup, then measure, then stop. */
    static final class Window {
        final long start = System.nanoTime();
        final long measureStart = start + (long) (warmupSeconds * 1e9);
        final long measureEnd = measureStart + (long) (measureSeconds * 1e9);
    }

    /**
     * Self-timing for one appending thread, called every few hundred operations: warmup, then the
     * measured window; also the best and worst 100 ms sub-window inside it (a stall shows as a low
     * minimum, the in-segment speed as the maximum).
     */
    static final class Meter {
        private static final long SUB_WINDOW = 100_000_000L;
        final Window w = new Window();
        boolean measuring;
        long n0;
        long t0;
        long end;
        long subN;
        long subT;
        double max;
        double min = Double.MAX_VALUE;

        /** The result once the measured window has ended, null before. */
        Result tick(long n) {
            long now = System.nanoTime();
            if (!measuring) {
                if (now >= w.measureStart) {
                    // The window starts at the first tick after the warmup and lasts the full
                    // measure time from there, even when a stall delayed that tick.
                    measuring = true;
                    n0 = n;
                    t0 = now;
                    end = now + (w.measureEnd - w.measureStart);
                    subN = n;
                    subT = now;
                }
                return null;
            }
            if (now - subT >= SUB_WINDOW || (now >= end && now - subT >= SUB_WINDOW / 2)) {
                double r = (n - subN) * 1e9 / (now - subT);
                max = Math.max(max, r);
                min = Math.min(min, r);
                subN = n;
                subT = now;
            }
            if (now < end) {
                return null;
            }
            Result res = new Result(n - n0, now - t0);
            if (max > 0) {
                res.best = max;
                res.worst = min;
                res.notes.add("100 ms windows max " + grouped(max) + "/s min " + grouped(min) + "/s");
            }
            return res;
        }
    }

    // ---------------------------------------------------------------- records

    /** A record whose framed length is exactly {@code size}. */
    static EventRecord record(int size) {
        byte[] stream = STREAM.getBytes(StandardCharsets.UTF_8);
        byte[] type = TYPE.getBytes(StandardCharsets.UTF_8);
        int dataLength = size - io.strand.log.RecordDescriptor.recordLength(stream.length, type.length, 0, 0);
        byte[] data = new byte[dataLength];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) ('a' + i % 26);
        }
        EventRecord r = new EventRecord(stream, type, 0x1234_5678_9abc_def0L, 0x0fed_cba9_8765_4321L, null, data, true);
        if (r.framedLength() != size || r.recordLength() != size) {
            throw new IllegalStateException("record size mismatch: size=" + size + ", framed=" + r.framedLength());
        }
        return r;
    }

    /**
     * The plain loops' encoder: the same 64-byte little-endian header (format 2) and body as the log's
     * format, CRC32C over [0, 8) and [12, length) through a reusable view like the log does.
     * {@code b} has little-endian order (the plain loops own their buffers).
     */
    static void encodePlain(ByteBuffer b, ByteBuffer crcView, CRC32C crc, int off, EventRecord r, long version,
                            long timestamp) {
        int length = r.recordLength();
        b.putInt(off, length);
        b.putShort(off + 4, (short) 0x5354);
        b.put(off + 6, (byte) 2);
        b.put(off + 7, (byte) (r.binary() ? 1 : 0));
        b.putLong(off + 12, timestamp);
        b.putLong(off + 20, version);
        b.putLong(off + 28, r.idMsb());
        b.putLong(off + 36, r.idLsb());
        b.putShort(off + 44, (short) r.stream().length);
        b.putShort(off + 46, (short) r.type().length);
        b.putInt(off + 48, r.metadata().length);
        b.putInt(off + 52, r.data().length);
        b.putLong(off + 56, 0L); // raft index
        int at = off + 64;
        b.put(at, r.stream());
        at += r.stream().length;
        b.put(at, r.type());
        at += r.type().length;
        b.put(at, r.metadata());
        at += r.metadata().length;
        b.put(at, r.data());
        crc.reset();
        crcView.limit(off + 8).position(off);
        crc.update(crcView);
        crcView.limit(off + length).position(off + 12);
        crc.update(crcView);
        b.putInt(off + 8, (int) crc.getValue());
    }

    // ---------------------------------------------------------------- plain loops

    /** A 1 GiB file written with zeros and fdatasync'ed: blocks allocated, pages clean in the page cache. */
    static FileChannel preallocated(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        long at = 0;
        while (at < PLAIN_FILE_SIZE) {
            zeros.clear();
            at += ch.write(zeros, at);
        }
        ch.force(true);
        return ch;
    }

    static Result fileChannel(int size, Case c) throws IOException {
        boolean sync = c.sync();
        Path dir = freshDir(c.id(), size);
        try (FileChannel ch = preallocated(dir.resolve("plain.log"))) {
            EventRecord r = record(size);
            ByteBuffer staging = ByteBuffer.allocateDirect(STAGING).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer crcView = staging.duplicate();
            ByteBuffer writeView = staging.duplicate();
            CRC32C crc = new CRC32C();
            Meter meter = new Meter();
            long filePos = 0;
            int off = 0;
            long n = 0;
            long forces = 0;
            while (true) {
                if (off + size > STAGING) {
                    filePos = writeFully(ch, writeView, off, filePos);
                    off = 0;
                }
                encodePlain(staging, crcView, crc, off, r, n, System.currentTimeMillis());
                off += size;
                n++;
                if (sync && (n & 63) == 0) {
                    filePos = writeFully(ch, writeView, off, filePos);
                    off = 0;
                    ch.force(false);
                    forces++;
                }
                if ((n & 255) == 0) {
                    Result res = meter.tick(n);
                    if (res != null) {
                        res.notes.add(forces + " forces");
                        deleteDir(dir);
                        return res;
                    }
                }
            }
        }
    }

    /** Writes staging[0, length) at filePos (wrapping at the end of the file); returns the next position. */
    private static long writeFully(FileChannel ch, ByteBuffer view, int length, long filePos) throws IOException {
        if (filePos + STAGING > PLAIN_FILE_SIZE) {
            filePos = 0;
        }
        view.limit(length).position(0);
        while (view.hasRemaining()) {
            filePos += ch.write(view, filePos);
        }
        return filePos;
    }

    static Result mapped(int size, Case c) throws IOException {
        Path dir = freshDir(c.id(), size);
        try (FileChannel ch = preallocated(dir.resolve("plain.log"))) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, PLAIN_FILE_SIZE);
            map.order(ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PLAIN_FILE_SIZE; p += PAGE) {
                map.put(p, (byte) 0); // pre-fault every page for writing
            }
            ByteBuffer crcView = map.duplicate();
            EventRecord r = record(size);
            CRC32C crc = new CRC32C();
            int limit = (int) PLAIN_FILE_SIZE;
            Meter meter = new Meter();
            int off = 0;
            long n = 0;
            long wraps = 0;
            while (true) {
                if (off + size > limit) {
                    off = 0;
                    wraps++;
                }
                encodePlain(map, crcView, crc, off, r, n, System.currentTimeMillis());
                off += size;
                n++;
                if ((n & 255) == 0) {
                    Result res = meter.tick(n);
                    if (res != null) {
                        res.notes.add(wraps + " wraps of the 1 GiB mapping");
                        Unmapper.unmap(map);
                        deleteDir(dir);
                        return res;
                    }
                }
            }
        }
    }

    /**
     * The plain mapped loop as a growing log meets it: every page is fresh (a new sized file per
     * GiB, mapped, never pre-faulted), like MEASURED.md's "plain MappedByteBuffer loop" row. It keeps
     * its files, as the Strand cases keep their segments, and preallocates them as Strand does
     * (posix_fallocate; on ext4 that is also faster for a mapped writer than a sparse file, whose
     * every page fault reserves a block). With {@code sparse}, each file is only sized.
     *
     * <p>With {@code drop}, each full file is deleted at once, its dirty pages never written: the
     * kernel hands the same, already host-backed pages to the next file. On this VM that is worth
     * about 5x at 1 KiB (a page the host reclaimed costs up to ~10 us on first touch), so this is
     * a bound no durable log reaches, not a growing log.
     */
    static Result mappedFresh(int size, Case c, boolean sparse, boolean drop) throws IOException {
        Path dir = freshDir(c.id(), size);
        Experiments.CLib libc = sparse ? null : com.sun.jna.Native.load("c", Experiments.CLib.class);
        EventRecord r = record(size);
        CRC32C crc = new CRC32C();
        Meter meter = new Meter();
        int limit = (int) PLAIN_FILE_SIZE;
        long n = 0;
        int files = 0;
        while (true) {
            Path file = dir.resolve(String.format("%020d", (long) files * limit));
            files++;
            MappedByteBuffer map;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                if (sparse) {
                    ch.write(ByteBuffer.wrap(new byte[1]), limit - 1); // size the file
                } else if (Experiments.fallocate(libc, file, limit) != 0) {
                    throw new IOException("posix_fallocate failed: file=" + file);
                }
                map = ch.map(FileChannel.MapMode.READ_WRITE, 0, limit);
            }
            ByteBuffer crcView = map.duplicate();
            int off = 0;
            while (off + size <= limit) {
                encodePlain(map, crcView, crc, off, r, n, System.currentTimeMillis());
                off += size;
                n++;
                if ((n & 255) == 0) {
                    Result res = meter.tick(n);
                    if (res != null) {
                        res.notes.add(files + " file(s)");
                        Unmapper.unmap(map);
                        deleteDir(dir);
                        return res;
                    }
                }
            }
            Unmapper.unmap(map);
            if (drop) {
                Files.deleteIfExists(file);
            }
        }
    }

    // ---------------------------------------------------------------- strand

    static LogConfig strandConfig(Path dir, boolean pool) {
        LogConfig d = LogConfig.defaults(dir);
        d = d.withPool(pool, d.poolBuffers(), d.poolBufferSize());
        return asyncFlushInterval == null ? d : d.withFlush(d.flushMode(), asyncFlushInterval);
    }

    static Result strandAsync(int size, boolean pool) throws Exception {
        return strandAsync(size, pool, 1);
    }

    /** Pool on, one record per append, with no force during the run (flush-interval 10 min). */
    static Result strandAsyncNoForce(int size) throws Exception {
        java.time.Duration saved = asyncFlushInterval;
        asyncFlushInterval = java.time.Duration.ofMinutes(10);
        try {
            return strandAsync(size, true, 1, "strand-pool-async-noforce");
        } finally {
            asyncFlushInterval = saved;
        }
    }

    /**
     * One appender, {@code perAppend} records per append, pipelined: at most {@code inflight}
     * records ({@code inflight / perAppend} appends) in flight. Counts records.
     */
    static Result strandAsync(int size, boolean pool, int perAppend) throws Exception {
        return strandAsync(size, pool, perAppend, (pool ? "strand-pool-async" : "strand-nopool-async")
                + (perAppend > 1 ? "-batch" + perAppend : ""));
    }

    static Result strandAsync(int size, boolean pool, int perAppend, String id) throws Exception {
        Path dir = freshDir(id, size);
        EventRecord[] batch = new EventRecord[perAppend];
        Arrays.fill(batch, record(size));
        // Tick the meter about every 256 records.
        int tickMask = Math.max(1, Integer.highestOneBit(256 / perAppend)) - 1;
        Result res;
        int segments;
        long firstAppendNanos;
        String poolNote = "";
        try (CommitLog log = CommitLog.open(strandConfig(dir, pool))) {
            if (log.pool() != null) {
                poolNote = "pool mlocked " + log.pool().lockedBuffers() + "/" + log.pool().buffers();
            }
            long t = System.nanoTime();
            log.append(batch, 1, 0).toCompletableFuture().join(); // waits for the first segment
            firstAppendNanos = System.nanoTime() - t;
            int capacity = Math.max(1, inflight / perAppend);
            @SuppressWarnings("unchecked")
            CompletableFuture<AppendResult>[] ring = new CompletableFuture[Math.max(2, Integer.highestOneBit(capacity - 1) << 1)];
            int mask = ring.length - 1;
            long head = 0;
            long tail = 0;
            long overloads = 0;
            long version = 1;
            Meter meter = new Meter();
            while (true) {
                if (tail - head == capacity) {
                    CompletableFuture<AppendResult> oldest = ring[(int) (head & mask)];
                    awaitDone(oldest);
                    check(oldest);
                    ring[(int) (head & mask)] = null;
                    head++;
                }
                CompletableFuture<AppendResult> f = log.append(batch, perAppend, version).toCompletableFuture();
                if (f.isCompletedExceptionally()) {
                    Throwable e = f.handle((x, err) -> err).getNow(null);
                    if (e instanceof LogOverloadedException) {
                        overloads++;
                        backoff(overloads);
                        continue;
                    }
                    throw new IllegalStateException("append failed", e);
                }
                ring[(int) (tail & mask)] = f;
                tail++;
                version += perAppend;
                if ((tail & tickMask) == 0) {
                    res = meter.tick(tail * perAppend);
                    if (res != null) {
                        res.notes.add("overload retries " + overloads);
                        break;
                    }
                }
            }
            long drainStart = System.nanoTime();
            while (head < tail) {
                CompletableFuture<AppendResult> f = ring[(int) (head & mask)];
                awaitDone(f);
                check(f);
                head++;
            }
            res.notes.add(String.format(Locale.ROOT, "drain %.1f ms", (System.nanoTime() - drainStart) / 1e6));
            segments = log.segmentCount();
        }
        res.notes.add(String.format(Locale.ROOT, "first append %.0f ms", firstAppendNanos / 1e6));
        res.notes.add(segments + " segment(s)");
        if (!poolNote.isEmpty()) {
            res.notes.add(poolNote);
        }
        deleteDir(dir);
        return res;
    }

    private static void backoff(long attempt) {
        if ((attempt & 15) == 0) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }

    /** Waits without parking first: spin, then yield (two vCPUs: let the commit thread run), then park. */
    private static void awaitDone(CompletableFuture<?> f) {
        int spins = 0;
        while (!f.isDone()) {
            if (spins < 64) {
                Thread.onSpinWait();
            } else if (spins < 20_000) {
                Thread.yield();
            } else {
                try {
                    f.join();
                } catch (CompletionException ignored) {
                    // reported by check()
                }
                return;
            }
            spins++;
        }
    }

    private static void check(CompletableFuture<?> f) {
        if (f.isCompletedExceptionally()) {
            f.join(); // throws
        }
    }

    /** p50 / p99 / p99.9 / max of the recorded latencies, in microseconds. */
    static String latencyPercentiles(long[][] perThread, int[] counts) {
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < perThread.length; i++) {
            if (perThread[i] != null) {
                System.arraycopy(perThread[i], 0, all, at, counts[i]);
                at += counts[i];
            }
        }
        if (total == 0) {
            return "no latencies recorded";
        }
        Arrays.sort(all);
        return String.format(Locale.ROOT, "latency p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.1f ms",
                all[total / 2] / 1e3, all[(int) (total * 0.99)] / 1e3, all[(int) Math.min(total - 1, total * 0.999)] / 1e3,
                all[total - 1] / 1e6);
    }

    static Result strandSync(int size, boolean pool, int threads) throws Exception {
        return strandSync(size, pool, threads, 1);
    }

    /**
     * {@code threads} appenders each keeping {@code inFlight} FLUSHED appends outstanding (waiting for
     * the oldest when full): with {@code inFlight=1} each thread waits for its own fsync.
     */
    static Result strandSync(int size, boolean pool, int threads, int inFlight) throws Exception {
        Path dir = freshDir((pool ? "strand-pool-sync" : "strand-nopool-sync") + threads + "x" + inFlight, size);
        EventRecord record = record(size);
        // 16 longs apart: one counter per cache line pair, no false sharing between appenders.
        AtomicLongArray counts = new AtomicLongArray(threads * 16);
        AtomicReference<Throwable> error = new AtomicReference<>();
        Result res;
        long firstSyncNanos;
        long secondSyncNanos;
        int segments;
        long overloadsTotal;
        long[] overloads = new long[threads * 16];
        // The server's sync mode (strand.log.flush=sync), as an operator would run it for durability.
        LogConfig config = strandConfig(dir, pool);
        config = config.withFlush(io.strand.log.FlushMode.SYNC, config.flushInterval());
        try (CommitLog log = CommitLog.open(config)) {
            EventRecord[] first = {record};
            log.append(first, 1, 0, Durability.COMMITTED).toCompletableFuture().join(); // first segment ready
            long t = System.nanoTime();
            log.append(first, 1, 1, Durability.FLUSHED).toCompletableFuture().join();
            firstSyncNanos = System.nanoTime() - t;
            t = System.nanoTime();
            log.append(first, 1, 2, Durability.FLUSHED).toCompletableFuture().join();
            secondSyncNanos = System.nanoTime() - t;
            CountDownLatch startGate = new CountDownLatch(1);
            Window[] window = new Window[1]; // set before the gate opens, read after it
            // With one append in flight per thread: each append's latency inside the measured window.
            long[][] latencies = new long[threads][];
            int[] latencyCounts = new int[threads];
            List<Thread> workers = new ArrayList<>();
            var stopFlag = new java.util.concurrent.atomic.AtomicBoolean();
            for (int i = 0; i < threads; i++) {
                int slot = i * 16;
                Thread th = new Thread(() -> {
                    EventRecord[] batch = {record};
                    long version = 1_000_000_000L * (slot / 16 + 1);
                    long done = 0;
                    java.util.ArrayDeque<CompletableFuture<AppendResult>> pending = new java.util.ArrayDeque<>();
                    int me = slot / 16;
                    long[] lat = inFlight == 1 ? new long[1 << 18] : null;
                    int nLat = 0;
                    try {
                        startGate.await();
                        Window win = window[0];
                        while (!stopFlag.get()) {
                            long sent = System.nanoTime();
                            CompletableFuture<AppendResult> f =
                                    log.append(batch, 1, version, Durability.FLUSHED).toCompletableFuture();
                            if (f.isCompletedExceptionally()) {
                                Throwable e = f.handle((x, err) -> err).getNow(null);
                                if (e instanceof LogOverloadedException) {
                                    overloads[slot]++;
                                    if (!pending.isEmpty()) {
                                        pending.poll().join();
                                        counts.lazySet(slot, ++done);
                                    } else {
                                        Thread.yield();
                                    }
                                    continue;
                                }
                                throw new IllegalStateException("append failed", e);
                            }
                            pending.add(f);
                            version++;
                            if (pending.size() >= inFlight) {
                                pending.poll().join();
                                counts.lazySet(slot, ++done);
                                long now = System.nanoTime();
                                if (lat != null && nLat < lat.length && sent >= win.measureStart && now <= win.measureEnd) {
                                    lat[nLat++] = now - sent;
                                }
                            }
                        }
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    } finally {
                        latencies[me] = lat;
                        latencyCounts[me] = nLat;
                    }
                }, "bench-appender-" + i);
                th.setDaemon(true);
                workers.add(th);
                th.start();
            }
            Window w = new Window();
            window[0] = w;
            startGate.countDown();
            sleepUntil(w.measureStart);
            long c0 = sum(counts);
            long f0 = log.forceCount();
            long t0 = System.nanoTime();
            sleepUntil(w.measureEnd);
            long c1 = sum(counts);
            long f1 = log.forceCount();
            long t1 = System.nanoTime();
            stopFlag.set(true);
            for (Thread th : workers) {
                th.join(30_000);
            }
            if (error.get() != null) {
                throw new IllegalStateException("appender failed", error.get());
            }
            res = new Result(c1 - c0, t1 - t0);
            if (inFlight == 1) {
                res.notes.add(latencyPercentiles(latencies, latencyCounts));
            }
            // The group commit at work: how many durable appends one fdatasync covered.
            res.notes.add(String.format(Locale.ROOT, "%.1f appends per fdatasync", (c1 - c0) / (double) Math.max(1, f1 - f0)));
            segments = log.segmentCount();
            overloadsTotal = Arrays.stream(overloads).sum();
        }
        res.notes.add(String.format(Locale.ROOT, "first FLUSHED append %.1f ms, second %.2f ms",
                firstSyncNanos / 1e6, secondSyncNanos / 1e6));
        res.notes.add(String.format(Locale.ROOT, "mean latency %.0f us", threads * 1e6 / res.rate()));
        if (overloadsTotal > 0) {
            res.notes.add("overload retries " + overloadsTotal);
        }
        res.notes.add(segments + " segment(s)");
        deleteDir(dir);
        return res;
    }

    private static long sum(AtomicLongArray counts) {
        long s = 0;
        for (int i = 0; i < counts.length(); i += 16) {
            s += counts.get(i);
        }
        return s;
    }

    static void sleepUntil(long deadline) throws InterruptedException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.max(1, left / 1_000_000), 0);
        }
    }

    // ---------------------------------------------------------------- output

    private static void printTable(List<Case> cases, Map<String, Map<Integer, Result>> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| case |");
        StringBuilder rule = new StringBuilder("| --- |");
        for (int size : sizes) {
            sb.append(' ').append(sizeLabel(size)).append(" records/s | ").append(sizeLabel(size)).append(" MB/s |");
            rule.append(" ---: | ---: |");
        }
        for (int size : sizes) {
            sb.append(" best / worst 100 ms at ").append(sizeLabel(size)).append(" |");
            rule.append(" ---: |");
        }
        System.out.println(sb);
        System.out.println(rule);
        for (Case c : cases) {
            Map<Integer, Result> m = results.get(c.id);
            if (m == null) {
                continue;
            }
            StringBuilder row = new StringBuilder("| ").append(c.id).append(" |");
            for (int size : sizes) {
                Result r = m.get(size);
                if (r == null) {
                    row.append(" — | — |");
                } else {
                    row.append(' ').append(grouped(r.rate())).append(r.foreignCpu > 0.15 ? " (*)" : "").append(" | ")
                            .append(String.format(Locale.ROOT, "%.1f", r.mbPerSecond(size))).append(" |");
                }
            }
            for (int size : sizes) {
                Result r = m.get(size);
                // Sync cases: the sub-windows of a force-every-64 loop are not comparable; left blank.
                row.append(r == null || r.best <= 0 || c.sync ? " |" : " " + millions(r.best) + " / " + millions(r.worst) + " |");
            }
            System.out.println(row);
        }
        System.out.println();
        System.out.println("(*) other processes used more than 15% of a CPU during the case: treat as disturbed.");
        System.out.println();
        for (int size : sizes) {
            StringBuilder line = new StringBuilder("- ").append(sizeLabel(size)).append(": ");
            List<String> parts = new ArrayList<>();
            ratio(results, size, "strand-pool-async", "mmap-fresh-async", "pool-on async / plain mapped fresh").ifPresent(parts::add);
            ratio(results, size, "strand-pool-async-batch16", "mmap-fresh-async", "pool-on async batch16 / plain mapped fresh")
                    .ifPresent(parts::add);
            ratio(results, size, "strand-pool-async", "mmap-fresh-drop-async", "pool-on async / plain mapped fresh, files dropped")
                    .ifPresent(parts::add);
            ratio(results, size, "strand-pool-async", "mmap-async", "pool-on async / plain mapped").ifPresent(parts::add);
            ratio(results, size, "strand-nopool-async", "mmap-async", "pool-off async / plain mapped").ifPresent(parts::add);
            ratio(results, size, "strand-pool-async-batch16", "mmap-async", "pool-on async batch16 / plain mapped")
                    .ifPresent(parts::add);
            ratio(results, size, "strand-nopool-async-batch16", "mmap-async", "pool-off async batch16 / plain mapped")
                    .ifPresent(parts::add);
            ratio(results, size, "strand-pool-async", "fc-async", "pool-on async / plain FileChannel").ifPresent(parts::add);
            ratio(results, size, "strand-pool-sync" + manyThreads, "strand-pool-sync1",
                    "pool-on sync " + manyThreads + "/1").ifPresent(parts::add);
            ratio(results, size, "strand-nopool-sync" + manyThreads, "strand-nopool-sync1",
                    "pool-off sync " + manyThreads + "/1").ifPresent(parts::add);
            ratio(results, size, "strand-pool-sync4x16", "strand-pool-sync1",
                    "pool-on sync 4x16 in flight / 1").ifPresent(parts::add);
            ratio(results, size, "strand-pool-sync" + manyThreads, "fc-sync64",
                    "pool-on sync " + manyThreads + " / fc-sync64").ifPresent(parts::add);
            if (!parts.isEmpty()) {
                System.out.println(line.append(String.join("; ", parts)));
            }
        }
    }

    private static java.util.Optional<String> ratio(Map<String, Map<Integer, Result>> results, int size, String a,
                                                    String b, String label) {
        Result ra = results.getOrDefault(a, Map.of()).get(size);
        Result rb = results.getOrDefault(b, Map.of()).get(size);
        if (ra == null || rb == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(String.format(Locale.ROOT, "%s = %.2fx", label, ra.rate() / rb.rate()));
    }

    static String sizeLabel(int size) {
        return size % 1024 == 0 ? (size / 1024) + " KiB" : size + " B";
    }

    /** Millions with three significant digits at most: 12.97 M, 0.085 M. */
    static String millions(double v) {
        double m = v / 1e6;
        return String.format(Locale.ROOT, m >= 0.1 ? "%.2f M" : "%.3f M", m);
    }

    static String grouped(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    // ---------------------------------------------------------------- environment

    static String jvmDescription() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + "), max heap "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB, GC "
                + String.join("+", ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).toList());
    }

    static String machineDescription(Path dir) {
        String cpu = firstMatch(Paths.get("/proc/cpuinfo"), "model name");
        String mem = firstMatch(Paths.get("/proc/meminfo"), "MemTotal");
        long memKb = mem == null ? -1 : Long.parseLong(mem.replaceAll("[^0-9]", ""));
        String fs = dfType(dir);
        return String.format(Locale.ROOT, "nproc %d%s, RAM %.1f GiB, %s %s, fs of %s: %s",
                Runtime.getRuntime().availableProcessors(), cpu == null ? "" : " (" + cpu + ")",
                memKb / 1024.0 / 1024.0, System.getProperty("os.name"), System.getProperty("os.version"), dir, fs);
    }

    private static String firstMatch(Path file, String key) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.filter(l -> l.startsWith(key)).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(null);
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    private static String dfType(Path dir) {
        try {
            Process p = new ProcessBuilder("df", "-T", dir.toString()).redirectErrorStream(true).start();
            List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            p.waitFor();
            if (lines.size() >= 2) {
                String[] f = lines.get(lines.size() - 1).trim().split("\\s+");
                return f[1] + " on " + f[0] + " (mounted at " + f[f.length - 1] + ")";
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            // fall through
        }
        try {
            return Files.getFileStore(dir).type();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * {busy ticks of the whole machine, ticks of this process, steal ticks, total ticks} from
     * /proc/stat and /proc/self/stat (USER_HZ ticks).
     */
    static long[] cpuTicks() {
        try {
            String[] f = Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
            long user = Long.parseLong(f[1]);
            long nice = Long.parseLong(f[2]);
            long system = Long.parseLong(f[3]);
            long idle = Long.parseLong(f[4]);
            long iowait = Long.parseLong(f[5]);
            long irq = Long.parseLong(f[6]);
            long softirq = Long.parseLong(f[7]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            String self = Files.readString(Paths.get("/proc/self/stat"));
            String[] g = self.substring(self.lastIndexOf(')') + 2).split(" ");
            long own = Long.parseLong(g[11]) + Long.parseLong(g[12]);
            long busy = user + nice + system + irq + softirq;
            return new long[] {busy, own, steal, busy + idle + iowait + steal};
        } catch (IOException | RuntimeException e) {
            return new long[4];
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static long gcMillis() {
        long t = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, b.getCollectionTime());
        }
        return t;
    }

    // ---------------------------------------------------------------- directories

    static Path freshDir(String id, int size) throws IOException {
        return Files.createDirectories(root.resolve(id + "-" + size + "-" + System.nanoTime()));
    }

    static void deleteDir(Path dir) throws IOException {
        if (keep || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
