package io.strand.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One fixed-size commit-log file, named by the 20-digit log position of its first byte, mapped
 * once for its whole life. Its blocks are reserved before it is mapped (posix_fallocate, or zeros
 * written through the channel), so a full disk surfaces as an {@link IOException} at creation and
 * never as a SIGBUS through the mapping.
 *
 * <p>Reference counted: the log holds one reference while the segment is part of the log; every
 * reader slice and writer holds another. The mapping is unmapped and the channel closed when the
 * count reaches zero, and only then (nothing can touch an unmapped page). Thread-safe.
 */
public final class Segment {
    static final int PAGE_SIZE = 4096;
    private static final String TMP_SUFFIX = ".tmp";

    private final Path file;
    private final long basePosition;
    private final int size;
    private final FileChannel channel;
    private final MappedByteBuffer map;
    /** Owns {@link #map}: freed (unmapped) when the last reference is released. */
    private final OffHeap memory;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile boolean deleteOnClose;

    private Segment(Path file, long basePosition, int size, FileChannel channel, OffHeap memory) {
        this.file = file;
        this.basePosition = basePosition;
        this.size = size;
        this.channel = channel;
        this.memory = memory;
        this.map = (MappedByteBuffer) memory.buffer();
    }

    public static String fileName(long basePosition) {
        return String.format("%020d", basePosition);
    }

    /** Parses a segment file name; returns -1 for anything else (temporary files, strangers). */
    public static long parseFileName(String name) {
        if (name.length() != 20) {
            return -1;
        }
        for (int i = 0; i < 20; i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(name);
    }

    /**
     * Creates a new segment: a temporary file is sized and its blocks reserved, then renamed into
     * place, so a crash never leaves a short file under a segment name.
     */
    static Segment create(Path dir, long basePosition, int size) throws IOException {
        Path file = dir.resolve(fileName(basePosition));
        Path tmp = dir.resolve(fileName(basePosition) + TMP_SUFFIX);
        if (Files.exists(file)) {
            // rename(2) would silently replace it: never let a fresh segment overwrite log data.
            throw new IOException("segment already exists: file=" + file);
        }
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            if (NativeIO.fallocate(tmp, size) != 0) {
                writeZeros(ch, 0, size);
            } else if (ch.size() != size) {
                throw new IOException("fallocate left a wrong size: file=" + tmp + ", expected=" + size + ", actual=" + ch.size());
            }
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        DirectorySync.sync(dir);
        return open(file, basePosition, size);
    }

    /** Maps an existing segment file of exactly {@code size} bytes. */
    static Segment open(Path file, long basePosition, int size) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long actual = ch.size();
            if (actual != size) {
                throw new IOException("segment has the wrong size: file=" + file + ", expected=" + size + ", actual=" + actual);
            }
            return new Segment(file, basePosition, size, ch, OffHeap.map(ch, size));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    static void writeZeros(FileChannel ch, long from, long to) throws IOException {
        OffHeap memory = OffHeap.allocate(1 << 20);
        try {
            ByteBuffer zeros = memory.buffer();
            long at = from;
            while (at < to) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), to - at));
                at += ch.write(zeros, at);
            }
        } finally {
            memory.free();
        }
    }

    public long basePosition() {
        return basePosition;
    }

    public long endPosition() {
        return basePosition + size;
    }

    public int size() {
        return size;
    }

    public Path file() {
        return file;
    }

    public boolean contains(long position) {
        return position >= basePosition && position < basePosition + size;
    }

    /** Takes a reference; false when the segment is already closed (the caller must not use it). */
    public boolean retain() {
        for (;;) {
            int n = refs.get();
            if (n == 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one unmaps and closes (and deletes, if asked). */
    public void release() {
        int n = refs.decrementAndGet();
        if (n == 0) {
            closeNow();
        } else if (n < 0) {
            throw new IllegalStateException("segment released too often: file=" + file + ", refs=" + n);
        }
    }

    int references() {
        return refs.get();
    }

    /** Deletes the file once the last reference is gone (retention). */
    void markForDeletion() {
        deleteOnClose = true;
    }

    private void closeNow() {
        memory.free();
        try {
            channel.close();
            if (deleteOnClose) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("closing segment failed: file=" + file, e);
        }
    }

    /** The mapping itself, for writers and scanners that hold a reference. Never hand it out unreferenced. */
    MappedByteBuffer buffer() {
        return map;
    }

    /** A view of {@code length} bytes at {@code offset}; valid only while the caller holds a reference. */
    ByteBuffer slice(int offset, int length) {
        return map.slice(offset, length);
    }

    /** Positional channel write into the same page-cache pages the mapping reads. */
    void write(ByteBuffer src, int offset) throws IOException {
        long at = offset;
        while (src.hasRemaining()) {
            at += channel.write(src, at);
        }
    }

    /** fdatasync: the file's size never changes, so data without metadata is enough. */
    void force() throws IOException {
        channel.force(false);
    }

    FileChannel channel() {
        return channel;
    }

    @Override
    public String toString() {
        return "Segment[" + file.getFileName() + ", refs=" + refs.get() + "]";
    }
}
