package io.strand.bench;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stripped-down group commit, outside the engine, to see what limits "N appenders, each waiting
 * for its own fdatasync" on this machine: appenders stage a record under a lock and wait on their
 * own future; one flusher thread takes everything staged, pwrites it, fdatasyncs and completes the
 * futures. Variants: the flusher completes the futures itself before the next fdatasync (as the
 * log's flush thread does), or hands them to a completer thread and goes straight on to the next
 * fdatasync. The file is written out with zeros first, or (last line of each count) made like
 * Strand's segments with posix_fallocate, whose unwritten extents make each fdatasync also commit
 * the ext4 journal. {@code exp=groupcommit:threads=64,size=128,seconds=2}.
 */
final class GroupCommitModel {
    private GroupCommitModel() {
    }

    static void run(java.util.Map<String, String> o) throws Exception {
        int size = Integer.parseInt(o.getOrDefault("size", "128"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "2"));
        for (int threads : new int[] {1, Integer.parseInt(o.getOrDefault("threads", "64"))}) {
            for (boolean offload : new boolean[] {false, true}) {
                one(threads, size, seconds, offload, false);
            }
            one(threads, size, seconds, false, true);
        }
    }

    /** A 1 GiB file as Strand's segments are made (posix_fallocate: unwritten extents). */
    private static FileChannel fallocated(Path file) throws java.io.IOException {
        FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE);
        if (Experiments.fallocate(com.sun.jna.Native.load("c", Experiments.CLib.class), file, 1L << 30) != 0) {
            throw new java.io.IOException("posix_fallocate failed: " + file);
        }
        ch.force(true);
        return ch;
    }

    private static void one(int threads, int size, double seconds, boolean offload, boolean fallocate) throws Exception {
        Path dir = LogBenchmark.freshDir("exp-groupcommit", size);
        Path file = dir.resolve("log");
        try (FileChannel ch = fallocate ? fallocated(file) : LogBenchmark.preallocated(file)) {
            ReentrantLock lock = new ReentrantLock();
            ByteBuffer staging = ByteBuffer.allocateDirect(1 << 20);
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong done = new AtomicLong();
            AtomicLong forces = new AtomicLong();
            java.util.concurrent.LinkedBlockingQueue<List<CompletableFuture<Void>>> toComplete =
                    new java.util.concurrent.LinkedBlockingQueue<>();
            Thread flusher = new Thread(() -> {
                ByteBuffer out = ByteBuffer.allocateDirect(1 << 20);
                long pos = 0;
                try {
                    while (!stop.get()) {
                        List<CompletableFuture<Void>> batch;
                        lock.lock();
                        try {
                            if (pending.isEmpty()) {
                                batch = null;
                            } else {
                                batch = new ArrayList<>(pending);
                                pending.clear();
                                staging.flip();
                                out.clear();
                                out.put(staging);
                                staging.clear();
                                out.flip();
                            }
                        } finally {
                            lock.unlock();
                        }
                        if (batch == null) {
                            LockSupport.parkNanos(20_000);
                            continue;
                        }
                        while (out.hasRemaining()) {
                            pos += ch.write(out, pos);
                        }
                        ch.force(false);
                        forces.incrementAndGet();
                        if (offload) {
                            toComplete.add(batch);
                        } else {
                            for (CompletableFuture<Void> f : batch) {
                                f.complete(null);
                            }
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }, "model-flusher");
            Thread completer = new Thread(() -> {
                try {
                    while (!stop.get() || !toComplete.isEmpty()) {
                        List<CompletableFuture<Void>> b = toComplete.poll(10, java.util.concurrent.TimeUnit.MILLISECONDS);
                        if (b != null) {
                            for (CompletableFuture<Void> f : b) {
                                f.complete(null);
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "model-completer");
            completer.setDaemon(true);
            flusher.setDaemon(true);
            flusher.start();
            completer.start();
            byte[] record = new byte[size];
            List<Thread> ws = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Thread w = new Thread(() -> {
                    while (!stop.get()) {
                        CompletableFuture<Void> f = new CompletableFuture<>();
                        lock.lock();
                        try {
                            staging.put(record);
                            pending.add(f);
                        } finally {
                            lock.unlock();
                        }
                        LockSupport.unpark(flusher);
                        f.join();
                        done.incrementAndGet();
                    }
                });
                w.setDaemon(true);
                ws.add(w);
                w.start();
            }
            Thread.sleep(500);
            long d0 = done.get();
            long f0 = forces.get();
            long t0 = System.nanoTime();
            Thread.sleep((long) (seconds * 1000));
            long d1 = done.get();
            long f1 = forces.get();
            long t1 = System.nanoTime();
            stop.set(true);
            for (CompletableFuture<Void> f : pending) {
                f.complete(null);
            }
            flusher.join(2000);
            for (List<CompletableFuture<Void>> b : toComplete) {
                b.forEach(f -> f.complete(null));
            }
            double rate = (d1 - d0) * 1e9 / (t1 - t0);
            System.out.printf(Locale.ROOT, "%2d appenders, %-11s completion %-26s %9.0f appends/s, %6.0f fdatasync/s, %5.1f appends per fdatasync%n",
                    threads, fallocate ? "fallocated," : "zero-filled,", offload ? "on a separate thread" : "on the flushing thread", rate,
                    (f1 - f0) * 1e9 / (t1 - t0), (d1 - d0) / (double) Math.max(1, f1 - f0));
        }
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }
}
