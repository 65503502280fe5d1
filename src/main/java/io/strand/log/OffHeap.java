package io.strand.log;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Off-heap memory the log frees when it chooses, not when the GC gets to it: file mappings and
 * page-aligned buffers. On JDK 22+ each lives in its own shared FFM {@code Arena} (called through
 * reflection, so the code stays Java 17), and freeing closes the arena: no call to
 * {@code sun.misc.Unsafe.invokeCleaner}, which JDK 24+ warns about as terminally deprecated (and
 * later JDKs will refuse), and a use after free throws {@link IllegalStateException} instead of
 * crashing the JVM. Before JDK 22 it is a plain mapping or direct buffer, freed by {@link Unmapper}.
 */
final class OffHeap {
    private static final Method OF_SHARED;
    private static final Method MAP;
    private static final Method ALLOCATE;
    private static final Method AS_BYTE_BUFFER;

    static {
        Method ofShared = null;
        Method map = null;
        Method allocate = null;
        Method asByteBuffer = null;
        if (Runtime.version().feature() >= 22) {
            try {
                Class<?> arena = Class.forName("java.lang.foreign.Arena");
                Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
                ofShared = arena.getMethod("ofShared");
                map = FileChannel.class.getMethod("map", FileChannel.MapMode.class, long.class, long.class, arena);
                allocate = arena.getMethod("allocate", long.class, long.class);
                asByteBuffer = segment.getMethod("asByteBuffer");
            } catch (ReflectiveOperationException | RuntimeException e) {
                ofShared = null;
            }
        }
        OF_SHARED = ofShared;
        MAP = map;
        ALLOCATE = allocate;
        AS_BYTE_BUFFER = asByteBuffer;
    }

    private final ByteBuffer buffer;
    /** The arena that owns {@link #buffer} (JDK 22+), or null. */
    private final AutoCloseable arena;
    /** What {@link Unmapper} frees without an arena: the buffer itself or the allocation it was sliced from. */
    private final ByteBuffer legacy;

    private OffHeap(ByteBuffer buffer, AutoCloseable arena, ByteBuffer legacy) {
        this.buffer = buffer;
        this.arena = arena;
        this.legacy = legacy;
    }

    /** True when freeing goes through an FFM arena (JDK 22+). */
    static boolean arenas() {
        return OF_SHARED != null;
    }

    /** Maps {@code [0, size)} of {@code channel} read-write. */
    static OffHeap map(FileChannel channel, long size) throws IOException {
        if (OF_SHARED == null) {
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
            return new OffHeap(map, null, map);
        }
        AutoCloseable arena = newArena();
        try {
            Object segment = MAP.invoke(channel, FileChannel.MapMode.READ_WRITE, 0L, size, arena);
            return new OffHeap((ByteBuffer) AS_BYTE_BUFFER.invoke(segment), arena, null);
        } catch (InvocationTargetException e) {
            closeQuietly(arena);
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("mapping failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            closeQuietly(arena);
            throw new IllegalStateException("mapping failed: " + e, e);
        }
    }

    /** {@code size} bytes, zeroed, starting on a page boundary. */
    static OffHeap allocate(int size) {
        if (OF_SHARED == null) {
            // alignedSlice rounds the capacity down to whole pages: allocate whole pages, plus one to align.
            int pages = (size + Segment.PAGE_SIZE - 1) / Segment.PAGE_SIZE;
            ByteBuffer raw = ByteBuffer.allocateDirect((pages + 1) * Segment.PAGE_SIZE);
            ByteBuffer aligned = raw.alignedSlice(Segment.PAGE_SIZE);
            aligned.limit(size);
            return new OffHeap(aligned.slice(), null, raw);
        }
        AutoCloseable arena = newArena();
        try {
            Object segment = ALLOCATE.invoke(arena, (long) size, (long) Segment.PAGE_SIZE);
            return new OffHeap((ByteBuffer) AS_BYTE_BUFFER.invoke(segment), arena, null);
        } catch (InvocationTargetException e) {
            closeQuietly(arena);
            if (e.getCause() instanceof OutOfMemoryError oom) {
                throw oom;
            }
            throw new IllegalStateException("allocation failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            closeQuietly(arena);
            throw new IllegalStateException("allocation failed: " + e, e);
        }
    }

    private static AutoCloseable newArena() {
        try {
            return (AutoCloseable) OF_SHARED.invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("creating an arena failed: " + e, e);
        }
    }

    private static void closeQuietly(AutoCloseable arena) {
        try {
            arena.close();
        } catch (Exception ignored) {
            // already failing
        }
    }

    ByteBuffer buffer() {
        return buffer;
    }

    /** Releases the memory now. Nothing may use {@link #buffer()} (or a view of it) afterwards. */
    void free() {
        if (arena == null) {
            Unmapper.unmap(legacy);
            return;
        }
        try {
            arena.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("freeing off-heap memory failed: " + e, e);
        }
    }
}
