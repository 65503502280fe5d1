package io.strand.log;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The few libc calls the log needs, through JNA: {@code mlock}/{@code munlock} for the transient
 * pool and {@code posix_fallocate} to reserve a segment's blocks before it is mapped. Every call
 * degrades to "not available" instead of failing when JNA or libc cannot be loaded (e.g. a JDK that
 * refuses native access), so callers check the result and take their fallback path.
 * Thread-safe: stateless.
 */
final class NativeIO {
    private static final int O_RDWR = 2;
    private static final boolean AVAILABLE = load();

    private NativeIO() {
    }

    /** Direct binding (JNA's fastest path); methods throw {@link LastErrorException} on failure. */
    static final class Libc {
        static void bind() {
            Native.register(Libc.class, Platform.C_LIBRARY_NAME);
        }

        static native int mlock(Pointer address, NativeLong length) throws LastErrorException;

        static native int munlock(Pointer address, NativeLong length) throws LastErrorException;

        static native int open(String path, int flags) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;

        // Returns the error number instead of setting errno.
        static native int posix_fallocate(int fd, long offset, long length);

        static native int fallocate(int fd, int mode, long offset, long length) throws LastErrorException;
    }

    private static boolean load() {
        try {
            if (!Platform.isLinux()) {
                return false;
            }
            Libc.bind();
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    static boolean available() {
        return AVAILABLE;
    }

    /** Locks the buffer's pages in RAM; returns 0 on success or the errno (ENOMEM, EPERM) on failure. */
    static int mlock(ByteBuffer direct) {
        if (!AVAILABLE) {
            return -1;
        }
        try {
            Libc.mlock(Native.getDirectBufferPointer(direct), new NativeLong(direct.capacity()));
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
    }

    static void munlock(ByteBuffer direct) {
        if (!AVAILABLE) {
            return;
        }
        try {
            Libc.munlock(Native.getDirectBufferPointer(direct), new NativeLong(direct.capacity()));
        } catch (LastErrorException ignored) {
            // Freeing the memory unlocks it anyway.
        }
    }

    private static final int FALLOC_FL_ZERO_RANGE = 0x10;

    /**
     * Zeroes {@code [offset, offset + length)} of the file by turning it into unwritten extents
     * (ext4, xfs): a metadata operation instead of writing the zeros. Returns 0 on success, an
     * errno (EOPNOTSUPP on file systems without it), or -1 when unavailable.
     */
    static int zeroRange(Path file, long offset, long length) {
        if (!AVAILABLE) {
            return -1;
        }
        int fd;
        try {
            fd = Libc.open(file.toString(), O_RDWR);
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
        try {
            Libc.fallocate(fd, FALLOC_FL_ZERO_RANGE, offset, length);
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        } finally {
            try {
                Libc.close(fd);
            } catch (LastErrorException ignored) {
                // nothing left to report
            }
        }
    }

    /**
     * Reserves {@code length} bytes of blocks for the file so later writes cannot hit ENOSPC (or
     * SIGBUS through a mapping). Returns 0 on success, an errno, or -1 when the call is unavailable.
     */
    static int fallocate(Path file, long length) {
        if (!AVAILABLE) {
            return -1;
        }
        int fd;
        try {
            fd = Libc.open(file.toString(), O_RDWR);
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
        try {
            return Libc.posix_fallocate(fd, 0, length);
        } finally {
            try {
                Libc.close(fd);
            } catch (LastErrorException ignored) {
                // close after posix_fallocate has nothing left to report.
            }
        }
    }
}
