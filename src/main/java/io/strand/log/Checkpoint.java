package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * only after a clean stop, holding the final tail). Layout, little-endian, 28 bytes:
 *
 * <pre>
 *   0  int32 magic      'SCKP' for the checkpoint, 'SCLN' for the clean-shutdown marker
 *   4  int32 version    1
 *   8  int64 position   flushed log position
 *  16  int64 written at epoch millis, for operators
 *  24  int32 crc32c     over bytes [0, 24)
 * </pre>
 *
 * Replaced atomically: written to a temporary file, forced, renamed over the old one, and the
 * directory forced. A file whose magic, version or CRC is wrong reads as absent. Not thread-safe:
 * one owner (the flush thread, or open/close) writes it.
 */
public final class Checkpoint {
    public static final int CHECKPOINT_MAGIC = 0x504B4353; // "SCKP" little-endian
    public static final int CLEAN_MAGIC = 0x4E4C4353;      // "SCLN" little-endian
    static final int VERSION = 1;
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = MAGIC_OFFSET + 4;
    static final int POSITION_OFFSET = VERSION_OFFSET + 4;
    static final int WRITTEN_AT_OFFSET = POSITION_OFFSET + 8;
    static final int CRC_OFFSET = WRITTEN_AT_OFFSET + 8;
    static final int LENGTH = CRC_OFFSET + 4;

    private final Path file;
    private final int magic;
    private final ByteBuffer scratch = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);

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
        if (bytes.length != LENGTH) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, CRC_OFFSET);
        if (b.getInt(MAGIC_OFFSET) != magic || b.getInt(VERSION_OFFSET) != VERSION
                || b.getInt(CRC_OFFSET) != (int) crc.getValue()) {
            return -1;
        }
        long position = b.getLong(POSITION_OFFSET);
        return position >= 0 ? position : -1;
    }

    public void write(long position) throws IOException {
        ByteBuffer b = scratch.clear();
        b.putInt(MAGIC_OFFSET, magic);
        b.putInt(VERSION_OFFSET, VERSION);
        b.putLong(POSITION_OFFSET, position);
        b.putLong(WRITTEN_AT_OFFSET, System.currentTimeMillis());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, CRC_OFFSET);
        b.putInt(CRC_OFFSET, (int) crc.getValue());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            b.position(0).limit(LENGTH);
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
