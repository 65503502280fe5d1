package io.strand.bench;

import io.strand.log.AppendResult;
import io.strand.log.CommitLog;
import io.strand.log.EventRecord;
import io.strand.log.LogConfig;
import io.strand.log.LogOverloadedException;
import io.strand.log.Unmapper;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Diagnostic experiments behind {@code exp=NAME[:k=v,...]}; they print evidence, not a table.
 * <ul>
 *   <li>{@code timeline:pool=true,size=1024,seconds=4}: the pipelined async appender with a
 *       sampler every 100 ms: appends, committed MB, dirty and writeback MB from /proc/meminfo,
 *       segment count, free pool buffers, minor faults; then CPU, faults and context switches
 *       per thread. Options: {@code segment=BYTES}, {@code buffers}, {@code bufferSize},
 *       {@code flushMs}, {@code settle=S} (wait before appending, so the allocator is idle).</li>
 *   <li>{@code touch:mb=1024,rounds=2}: how fast fresh page-cache pages become usable.</li>
 *   <li>{@code fsync:size=1024}: pwrite+fdatasync loop over files prepared in different ways.</li>
 *   <li>{@code interference:size=128,bg=none;write-touch;load;read-touch}: fdatasync while another
 *       thread touches a fresh 1 GiB file.</li>
 *   <li>{@code encode:size=128}: the log's encoder against the plain loops' encoder, CPU only.</li>
 *   <li>{@code groupcommit:size=128}: {@link GroupCommitModel}, a bare group commit.</li>
 * </ul>
 */
final class Experiments {
    private Experiments() {
    }

    static void run(String spec) throws Exception {
        String[] parts = spec.split(":", 2);
        Map<String, String> o = new LinkedHashMap<>();
        if (parts.length > 1) {
            for (String kv : parts[1].split(",")) {
                String[] p = kv.split("=", 2);
                o.put(p[0], p.length > 1 ? p[1] : "true");
            }
        }
        switch (parts[0]) {
            case "timeline" -> timeline(o);
            case "touch" -> touch(o);
            case "fsync" -> fsync(o);
            case "interference" -> interference(o);
            case "encode" -> encode(o);
            case "groupcommit" -> GroupCommitModel.run(o);
            default -> throw new IllegalArgumentException("unknown experiment: " + parts[0]);
        }
    }

    static LogConfig config(Path dir, Map<String, String> o) {
        LogConfig c = LogConfig.defaults(dir);
        boolean pool = Boolean.parseBoolean(o.getOrDefault("pool", "true"));
        c = c.withPool(pool, Integer.parseInt(o.getOrDefault("buffers", "" + c.poolBuffers())),
                Integer.parseInt(o.getOrDefault("bufferSize", "" + c.poolBufferSize())));
        if (o.containsKey("segment")) {
            c = c.withSegmentSize(Integer.parseInt(o.get("segment")));
        }
        if (o.containsKey("flushMs")) {
            c = c.withFlush(c.flushMode(), java.time.Duration.ofMillis(Long.parseLong(o.get("flushMs"))));
        }
        return c;
    }

    /**
     * How fast fresh page-cache pages can be made ready on this machine: 1 GiB each, timed, in a
     * fresh file: write-touch through a mapping, MappedByteBuffer.load(), pwrite of zeros in 4 MiB
     * chunks, and (for reference) write-touch of fresh anonymous direct memory; then the write-touch
     * of a mapping whose file was written just before (pages already in the page cache).
     */
    static void touch(Map<String, String> o) throws Exception {
        long size = Long.parseLong(o.getOrDefault("mb", "1024")) << 20;
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "2"));
        for (int round = 0; round < rounds; round++) {
            Path dir = LogBenchmark.freshDir("exp-touch", 0);
            for (String how : List.of("mmap-write", "mmap-load", "pwrite-4MiB", "anon-direct", "mmap-write-after-pwrite")) {
                Path f = dir.resolve(how);
                long t0;
                try (FileChannel ch = openNew(f)) {
                    ch.truncate(size);
                    ch.write(ByteBuffer.allocate(1), size - 1);
                    t0 = System.nanoTime();
                    switch (how) {
                        case "mmap-write" -> Unmapper.unmap(writeTouch(map(ch, size)));
                        case "mmap-load" -> Unmapper.unmap(map(ch, size).load());
                        case "pwrite-4MiB" -> writeZeros(ch, size);
                        case "anon-direct" -> {
                            var z = ByteBuffer.allocateDirect((int) Math.min(size, Integer.MAX_VALUE - 8));
                            t0 = System.nanoTime(); // allocateDirect zeroes the memory: time the touch only after
                            for (int p = 0; p < z.capacity(); p += 4096) {
                                z.put(p, (byte) 1);
                            }
                            Unmapper.unmap(z);
                        }
                        case "mmap-write-after-pwrite" -> {
                            writeZeros(ch, size);
                            t0 = System.nanoTime();
                            Unmapper.unmap(writeTouch(map(ch, size)));
                        }
                        default -> throw new IllegalStateException(how);
                    }
                }
                long ns = System.nanoTime() - t0;
                System.out.printf(Locale.ROOT, "round %d %-24s %7.0f ms  %6.2f GB/s  %5.2f us/page%n", round, how,
                        ns / 1e6, size / (ns / 1e9) / 1e9, ns / 1e3 / (size / 4096));
            }
            LogBenchmark.deleteDir(dir);
        }
    }

    // ---------------------------------------------------------------- file helpers

    static FileChannel openNew(Path f) throws IOException {
        return FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    static MappedByteBuffer map(FileChannel ch, long size) throws IOException {
        return ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
    }

    /** Stores a zero in the first byte of every page (the segment allocator's write-touch). */
    static MappedByteBuffer writeTouch(MappedByteBuffer m) {
        for (int p = 0; p < m.capacity(); p += 4096) {
            m.put(p, (byte) 0);
        }
        return m;
    }

    /** pwrite of zeros over [0, size) in 4 MiB chunks. */
    static void writeZeros(FileChannel ch, long size) throws IOException {
        var z = ByteBuffer.allocateDirect(4 << 20);
        for (long at = 0; at < size; ) {
            z.clear();
            at += ch.write(z, at);
        }
        Unmapper.unmap(z);
    }

    /** posix_fallocate over [0, size) of {@code f}; its return code. */
    static int fallocate(CLib libc, Path f, long size) {
        int fd = libc.open(f.toString(), 2);
        int rc = libc.posix_fallocate(fd, 0, size);
        libc.close(fd);
        return rc;
    }

    /** One thread: pwrite of {@code size} bytes, then fdatasync, for {@code seconds}. */
    static String syncLoop(FileChannel ch, int size, double seconds) throws IOException {
        var rec = ByteBuffer.allocateDirect(size);
        long[] lat = new long[1 << 20];
        int n = 0;
        long at = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        while (System.nanoTime() < end && n < lat.length) {
            long t = System.nanoTime();
            rec.clear();
            while (rec.hasRemaining()) {
                at += ch.write(rec, at);
            }
            ch.force(false);
            lat[n++] = System.nanoTime() - t;
        }
        double rate = n * 1e9 / (System.nanoTime() - t0);
        long[] sorted = Arrays.copyOf(lat, n);
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "%7.0f syncs/s  p50 %6.0f us  p99 %7.0f us  max %7.0f us", rate,
                sorted[n / 2] / 1e3, sorted[(int) (n * 0.99)] / 1e3, sorted[n - 1] / 1e3);
    }

    /** libc through JNA (on the test classpath through the project's dependency). */
    public interface CLib extends com.sun.jna.Library {
        int open(String path, int flags);

        int close(int fd);

        int posix_fallocate(int fd, long offset, long length);
    }

    /**
     * One thread, pwrite of one record then fdatasync, for ~1 s, over a 1 GiB file prepared in
     * different ways: the cost of a sync append depends on the state of the file's extents.
     */
    static void fsync(Map<String, String> o) throws Exception {
        int size = Integer.parseInt(o.getOrDefault("size", "1024"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "1"));
        long fileSize = 1L << 30;
        CLib libc = com.sun.jna.Native.load("c", CLib.class);
        Path dir = LogBenchmark.freshDir("exp-fsync", size);
        for (String how : List.of("fallocate+read-touch", "fallocate+write-touch", "fallocate+write-touch+fdatasync",
                "zeros-written+fdatasync", "sparse")) {
            Path f = dir.resolve(how);
            try (FileChannel ch = openNew(f)) {
                long prep = System.nanoTime();
                MappedByteBuffer m = null;
                if (how.startsWith("fallocate")) {
                    int rc = fallocate(libc, f, fileSize);
                    if (rc != 0) {
                        throw new IOException("posix_fallocate: " + rc);
                    }
                    ch.force(true);
                    m = map(ch, fileSize);
                    if (how.contains("read-touch")) {
                        m.load();
                    } else {
                        writeTouch(m);
                        if (how.endsWith("fdatasync")) {
                            ch.force(false);
                        }
                    }
                } else if (how.startsWith("zeros")) {
                    writeZeros(ch, fileSize);
                    ch.force(true);
                } else {
                    ch.truncate(fileSize);
                    ch.write(ByteBuffer.allocate(1), fileSize - 1);
                    ch.force(true);
                }
                prep = System.nanoTime() - prep;
                System.out.printf(Locale.ROOT, "%-34s prepare %6.0f ms   %s%n", how, prep / 1e6, syncLoop(ch, size, seconds));
                Unmapper.unmap(m);
            }
            Files.delete(f);
        }
        LogBenchmark.deleteDir(dir);
    }

    /**
     * pwrite+fdatasync of one record in a loop on a fallocated 1 GiB file (its extents unwritten, as
     * in a fresh pool-mode segment, or converted by one write-touch and fdatasync, as in a fresh
     * pool-off segment after its first flush) while another thread prepares a second fresh 1 GiB
     * fallocated file the way the segment allocator does: MappedByteBuffer.load(), write-touch of
     * every page, or nothing.
     */
    static void interference(Map<String, String> o) throws Exception {
        int size = Integer.parseInt(o.getOrDefault("size", "1024"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "1.5"));
        long fileSize = 1L << 30;
        CLib libc = com.sun.jna.Native.load("c", CLib.class);
        Path dir = LogBenchmark.freshDir("exp-interference", size);
        int k = 0;
        for (String state : List.of("unwritten", "written")) {
            for (String background : List.of(o.getOrDefault("bg", "none,load,write-touch,read-touch").split(";|,"))) {
                Path f = dir.resolve("sync-" + k);
                Path g = dir.resolve("prep-" + k++);
                try (FileChannel ch = openNew(f); FileChannel bg = openNew(g)) {
                    fallocate(libc, f, fileSize);
                    fallocate(libc, g, fileSize);
                    ch.force(true);
                    bg.force(true);
                    var m = map(ch, fileSize);
                    if (state.equals("written")) {
                        writeTouch(m);
                        ch.force(false);
                    } else {
                        m.load();
                    }
                    var bm = map(bg, fileSize);
                    long[] bgNanos = {0};
                    Thread t = new Thread(() -> {
                        long t0 = System.nanoTime();
                        if (background.equals("load")) {
                            bm.load();
                        } else if (background.equals("write-touch")) {
                            writeTouch(bm);
                        } else if (background.equals("read-touch")) {
                            long sum = 0;
                            for (int p = 0; p < fileSize; p += 4096) {
                                sum += bm.get(p);
                            }
                            bgNanos[0] = sum; // keep the loads
                        }
                        bgNanos[0] += System.nanoTime() - t0;
                    });
                    t.start();
                    String stats = syncLoop(ch, size, seconds);
                    t.join();
                    System.out.printf(Locale.ROOT, "sync file %-9s background %-11s (took %5.0f ms): %s%n",
                            state, background, bgNanos[0] / 1e6, stats);
                    Unmapper.unmap(m);
                    Unmapper.unmap(bm);
                }
                Files.delete(f);
                Files.delete(g);
            }
        }
        LogBenchmark.deleteDir(dir);
    }

    /**
     * CPU cost of the record encoding alone, no I/O: the log's RecordDescriptor.encode against the
     * plain loops' encoder, into a 64 KiB direct buffer, plus System.currentTimeMillis per record.
     */
    static void encode(Map<String, String> o) {
        int size = Integer.parseInt(o.getOrDefault("size", "128"));
        EventRecord r = LogBenchmark.record(size);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(64 * 1024).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.nio.ByteBuffer view = b.duplicate();
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        for (int round = 0; round < 3; round++) {
            for (String how : List.of("RecordDescriptor.encode", "plain encoder")) {
                long n = 0;
                long t0 = System.nanoTime();
                long end = t0 + 500_000_000L;
                int off = 0;
                while (true) {
                    for (int i = 0; i < 1024; i++) {
                        if (off + size > b.capacity()) {
                            off = 0;
                        }
                        if (how.startsWith("Record")) {
                            io.strand.log.RecordDescriptor.encode(b, view, crc, off, r, n, System.currentTimeMillis(), 0);
                        } else {
                            LogBenchmark.encodePlain(b, view, crc, off, r, n, System.currentTimeMillis());
                        }
                        off += size;
                        n++;
                    }
                    if (System.nanoTime() > end) {
                        break;
                    }
                }
                double ns = (System.nanoTime() - t0) / (double) n;
                if (round == 2) {
                    System.out.printf(Locale.ROOT, "%4d B %-24s %6.1f ns/record  %6.1f M records/s%n", size, how, ns, 1e3 / ns);
                }
            }
        }
    }

    static volatile long appended;

    static void timeline(Map<String, String> o) throws Exception {
        int size = Integer.parseInt(o.getOrDefault("size", "1024"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "4"));
        Path dir = LogBenchmark.freshDir("exp-timeline", size);
        EventRecord[] batch = {LogBenchmark.record(size)};
        LogConfig cfg = config(dir, o);
        System.out.println("config: " + cfg);
        ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        try (CommitLog log = CommitLog.open(cfg)) {
            log.append(batch, 1, 0).toCompletableFuture().join();
            // settle=S: let the allocator finish preparing the next segment before measuring.
            Thread.sleep((long) (Double.parseDouble(o.getOrDefault("settle", "0")) * 1000));
            long[] before = taskCpu();
            Thread appender = new Thread(() -> pipelined(log, batch, seconds), "bench-appender");
            long start = System.nanoTime();
            appender.start();
            long lastN = 0;
            long lastC = log.committedPosition();
            System.out.println("  t(s)   appends/s   commit MB/s  dirty MB  writeback MB  segments  freeBuffers  minflt/s");
            long lastFlt = minflt();
            while (appenderCpuNanos == 0) {
                Thread.sleep(100);
                long n = appended;
                long c = log.committedPosition();
                long[] mem = meminfo();
                long flt = minflt();
                System.out.printf(Locale.ROOT, "%6.1f %11.0f %12.0f %9d %13d %9d %12s %9d%n",
                        (System.nanoTime() - start) / 1e9, (n - lastN) * 10.0, (c - lastC) * 10.0 / 1e6,
                        mem[0] >> 10, mem[1] >> 10, log.segmentCount(),
                        log.pool() == null ? "-" : "" + log.pool().freeBuffers(), (flt - lastFlt) * 10);
                lastFlt = flt;
                lastN = n;
                lastC = c;
            }
            System.out.printf(Locale.ROOT, "appender CPU %.0f ms, wall %.0f ms%n", appenderCpuNanos / 1e6,
                    (System.nanoTime() - start) / 1e6);
            long[] after = taskCpu();
            long total = appended;
            System.out.printf(Locale.ROOT, "appends %d; per append: whole process %.0f ns CPU (user %.0f + sys %.0f)%n", total,
                    (after[0] + after[1] - before[0] - before[1]) * 1e7 / total, (after[0] - before[0]) * 1e7 / total,
                    (after[1] - before[1]) * 1e7 / total);
            threadStats();
            System.out.println("CPU time per thread (ms) over the run:");
            for (long id : tmx.getAllThreadIds()) {
                var info = tmx.getThreadInfo(id);
                if (info == null) {
                    continue;
                }
                long cpu = tmx.getThreadCpuTime(id);
                if (cpu > 50_000_000L) {
                    System.out.printf(Locale.ROOT, "  %-28s %8.0f%n", info.getThreadName(), cpu / 1e6);
                }
            }
        }
        LogBenchmark.deleteDir(dir);
    }

    static void pipelined(CommitLog log, EventRecord[] batch, double seconds) {
        @SuppressWarnings("unchecked")
        CompletableFuture<AppendResult>[] ring = new CompletableFuture[8192];
        int mask = ring.length - 1;
        long head = 0;
        long tail = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long version = 1;
        while (true) {
            if (tail - head == ring.length) {
                CompletableFuture<AppendResult> f = ring[(int) (head & mask)];
                int spins = 0;
                while (!f.isDone()) {
                    if (++spins < 64) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield();
                    }
                }
                f.join();
                head++;
            }
            CompletableFuture<AppendResult> f = log.append(batch, 1, version).toCompletableFuture();
            if (f.isCompletedExceptionally()) {
                Throwable e = f.handle((x, err) -> err).getNow(null);
                if (e instanceof LogOverloadedException) {
                    Thread.yield();
                    continue;
                }
                throw new IllegalStateException(e);
            }
            ring[(int) (tail & mask)] = f;
            tail++;
            version++;
            if ((tail & 255) == 0) {
                appended = tail;
                if (System.nanoTime() > end) {
                    break;
                }
            }
        }
        while (head < tail) {
            ring[(int) (head++ & mask)].join();
        }
        appenderCpuNanos = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        try {
            Thread.sleep(400); // stay alive so the per-thread statistics include this thread
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static volatile long appenderCpuNanos;

    /** The fields of a /proc stat file after the command name (field 3 of proc(5) is index 0). */
    static String[] statFields(Path stat) throws IOException {
        String s = Files.readString(stat);
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }

    /** {user, sys} ticks of this process. */
    static long[] taskCpu() throws IOException {
        String[] f = statFields(Paths.get("/proc/self/stat"));
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }

    /** Minor faults of the whole process so far. */
    static long minflt() throws IOException {
        return Long.parseLong(statFields(Paths.get("/proc/self/stat"))[7]);
    }

    /** Per kernel thread: minor faults, user and system CPU, voluntary and involuntary context switches. */
    static void threadStats() throws IOException {
        System.out.println("thread (kernel name)     minflt   user ms    sys ms   vol.cs  invol.cs");
        try (Stream<Path> tasks = Files.list(Paths.get("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                String stat = Files.readString(t.resolve("stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = statFields(t.resolve("stat"));
                long flt = Long.parseLong(f[7]);
                long ut = Long.parseLong(f[11]) * 10;
                long st = Long.parseLong(f[12]) * 10;
                long vol = 0;
                long invol = 0;
                for (String l : Files.readAllLines(t.resolve("status"))) {
                    if (l.startsWith("voluntary_ctxt_switches")) {
                        vol = Long.parseLong(l.replaceAll("[^0-9]", ""));
                    } else if (l.startsWith("nonvoluntary_ctxt_switches")) {
                        invol = Long.parseLong(l.replaceAll("[^0-9]", ""));
                    }
                }
                if (ut + st >= 50 || flt > 10_000) {
                    System.out.printf(Locale.ROOT, "%-22s %8d %9d %9d %8d %9d%n", name, flt, ut, st, vol, invol);
                }
            }
        }
    }

    /** Dirty and Writeback from /proc/meminfo, in KiB. */
    static long[] meminfo() throws IOException {
        long dirty = 0;
        long wb = 0;
        for (String l : Files.readAllLines(Paths.get("/proc/meminfo"))) {
            if (l.startsWith("Dirty:")) {
                dirty = Long.parseLong(l.replaceAll("[^0-9]", ""));
            } else if (l.startsWith("Writeback:")) {
                wb = Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return new long[] {dirty, wb};
    }
}
