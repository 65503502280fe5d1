package io.strand.log;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * The log's own memory goes through {@link OffHeap} (FFM arenas on JDK 22+); this is its fallback
 * before JDK 22, and what tests and benchmarks use for their plain buffers.
 *
 * <p>Releases a mapped or direct buffer now, through the JDK's own cleaner
 * ({@code sun.misc.Unsafe.invokeCleaner}, in {@code jdk.unsupported} on every JDK from 9 to 25),
 * instead of whenever the GC finds it. Lucene unmaps the same way; Netty's
 * {@code PlatformDependent.freeDirectBuffer} does too but turns into a no-op on JDK 24+ unless
 * Unsafe memory access is enabled, so Strand calls the cleaner itself. The caller guarantees that
 * nothing touches the buffer afterwards (segments enforce it by reference counting): a touch after
 * unmapping is a SIGSEGV, not an exception.
 */
public final class Unmapper {
    private static final MethodHandle INVOKE_CLEANER = find();

    private Unmapper() {
    }

    private static MethodHandle find() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            Object unsafe = field.get(null);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(unsafe);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** True when buffers are released deterministically; otherwise the GC releases them later. */
    public static boolean deterministic() {
        return INVOKE_CLEANER != null;
    }

    public static void unmap(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || buffer == null || !buffer.isDirect()) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact(buffer);
        } catch (Throwable e) {
            throw new IllegalStateException("unmap failed: " + e, e);
        }
    }
}
