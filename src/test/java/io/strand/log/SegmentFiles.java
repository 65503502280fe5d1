package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** For tests that damage the log on disk: the segment file of a position, and a flipped byte in it. */
public final class SegmentFiles {
    private SegmentFiles() {
    }

    /** The file of the segment holding {@code position}, under {@code dataDir}. */
    public static Path file(Path dataDir, long segmentSize, long position) {
        return dataDir.resolve("commitlog").resolve(Segment.fileName(position - position % segmentSize));
    }

    /**
     * XORs the byte at log {@code position} with {@code mask}, through its own channel (a mapping of
     * the file sees the change: the same page-cache page).
     */
    public static void flip(Path dataDir, long segmentSize, long position, int mask) throws IOException {
        try (FileChannel ch = FileChannel.open(file(dataDir, segmentSize, position),
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long at = position % segmentSize;
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ mask)).rewind();
            ch.write(one, at);
        }
    }
}
