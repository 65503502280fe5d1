package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * A small file that durably records one log position: the checkpoint (every byte below it was
 * flushed and is valid, so recovery scans only from there) and the clean-shutdown marker (present
 * only after a clean stop, holding the final tail). Layout in {@link CheckpointDescriptor} (28
 * bytes, magic + version + position + time + CRC-32C over the rest).
 *
 * <p>Replaced atomically: written to a temporary file, forced, renamed over the old one, and the
 * directory forced. A file whose magic, version or CRC is wrong reads as absent. Not thread-safe:
 * one owner (the flush thread, or open/close) writes it.
 */
public final class Checkpoint {
    public static final int CHECKPOINT_MAGIC = 0x504B4353; // "SCKP" little-endian
    public static final int CLEAN_MAGIC = 0x4E4C4353;      // "SCLN" little-endian

    private final Path file;
    private final int magic;
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer scratch = ByteBuffer.allocate(CheckpointDescriptor.LENGTH);

    public Checkpoint(Path file, int magic) {
        this.file = file;
        this.magic = magic;
    }

    public static Checkpoint checkpoint(Path dataDir) {
        return new Checkpoint(dataDir.resolve("checkpoint"), CHECKPOINT_MAGIC);
    }

    public static Checkpoint cleanShutdownMarker(Path dataDir) {
        return new Checkpoint(dataDir.resolve("clean-shutdown"), CLEAN_MAGIC);
    }

    public Path file() {
        return file;
    }

    /** The recorded position, or -1 when the file is absent or invalid. */
    public long read() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (CheckpointDescriptor.check(b, 0, bytes.length, magic, crc) != CheckpointDescriptor.VALID) {
            return -1;
        }
        return CheckpointDescriptor.position(b, 0);
    }

    public void write(long position) throws IOException {
        ByteBuffer b = scratch.clear();
        CheckpointDescriptor.encode(b, 0, crc, magic, position, System.currentTimeMillis());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            b.position(0).limit(CheckpointDescriptor.LENGTH);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        DirectorySync.sync(file.getParent());
    }

    /** Removes the file durably (the clean-shutdown marker is consumed at open). */
    public void delete() throws IOException {
        if (Files.deleteIfExists(file)) {
            DirectorySync.sync(file.getParent());
        }
    }
}
