package io.strand.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Off-heap memory freed on demand: FFM arenas on JDK 22+ (CI runs this on 17 and on 25), where a
 * use after free is an exception rather than a crash; the JDK's cleaner before.
 */
class OffHeapTest {

    @Test
    void usesArenasExactlyFromJdk22() {
        assertEquals(Runtime.version().feature() >= 22, OffHeap.arenas());
    }

    @Test
    void allocatesPageAlignedZeroedMemoryOfTheAskedSize() {
        OffHeap m = OffHeap.allocate(2096);
        ByteBuffer b = m.buffer();
        assertEquals(2096, b.capacity());
        assertEquals(0, b.alignmentOffset(0, Segment.PAGE_SIZE));
        for (int i = 0; i < b.capacity(); i++) {
            assertEquals(0, b.get(i));
        }
        b.putLong(2088, 42L);
        assertEquals(42L, b.getLong(2088));
        m.free();
        if (OffHeap.arenas()) {
            assertThrows(IllegalStateException.class, () -> b.get(0), "a use after free throws instead of crashing");
        }
    }

    @Test
    void mapsAFileAndUnmapsIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("segment");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[1]), 8191);
            OffHeap m = OffHeap.map(ch, 8192);
            ByteBuffer b = m.buffer();
            b.put(100, (byte) 7);
            m.free();
            ByteBuffer read = ByteBuffer.allocate(1);
            ch.read(read, 100);
            assertEquals(7, read.get(0), "writes through the mapping reach the file");
            if (OffHeap.arenas()) {
                assertThrows(IllegalStateException.class, () -> b.get(100), "a use after unmap throws instead of crashing");
            }
        }
    }
}
