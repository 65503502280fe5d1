package io.strand.cluster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * A Raft snapshot of this replica: the CommitLog itself, forced to disk up to {@code position}, which
 * holds every entry up to Raft {@code (term, index)}. The file only records that triple (36 bytes,
 * little-endian): magic "SRSN", version 1, term, index, position, CRC-32C over bytes [0, 32).
 * Written to a temporary file, forced and renamed, so it is whole or absent.
 */
record SnapshotFile(long term, long index, long position) {
    static final int MAGIC = 0x4E535253; // "SRSN" as little-endian bytes
    static final int VERSION = 1;
    static final int LENGTH = 36;

    void write(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putLong(term).putLong(index).putLong(position);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 32);
        b.putInt((int) crc.getValue()).flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** Reads a snapshot file; {@link IOException} when it is not one Strand wrote whole. */
    static SnapshotFile read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length != LENGTH || b.getInt(0) != MAGIC || b.getInt(4) != VERSION) {
            throw new IOException("not a Strand snapshot file (format " + VERSION + "): " + file);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 32);
        if ((int) crc.getValue() != b.getInt(32)) {
            throw new IOException("snapshot file fails its CRC: " + file);
        }
        return new SnapshotFile(b.getLong(8), b.getLong(16), b.getLong(24));
    }
}
