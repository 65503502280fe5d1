package io.strand.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The next version of every stream none of whose events the log holds any more ({@code index/floors}):
 * retention deletes whole segments, and a stream whose every event was in them has nothing left in
 * the index to say where its versions go on, so after a restart it would start again at 0, and a
 * client's expected versions and the events' numbers would mean something else. Written whole
 * (temporary file, forced, renamed) before retention deletes segments; read at open, where each
 * stream of the catalog that has no version held starts at its floor. The only class that does
 * offset arithmetic on the file. Little-endian:
 *
 * <pre>
 *  0  4  magic "SIXF"     4  4  format version (1)     8  4  count
 * 12  …  per stream: 2 name length, name (UTF-8), 8 next version
 *  …  4  crc32c over everything before it
 * </pre>
 *
 * A file that fails its check is ignored (logged): the streams it named start at 0 again, as before
 * this file existed.
 */
final class StreamFloors {
    private static final System.Logger LOG = System.getLogger(StreamFloors.class.getName());
    static final int MAGIC = 0x46584953; // "SIXF" little-endian
    static final int VERSION = 1;
    private static final int HEADER = 12;

    private StreamFloors() {
    }

    /** Writes {@code floors} (stream name to next version) as the file {@code path}, durably. */
    static void write(Path path, Map<String, Long> floors) throws IOException {
        int size = HEADER + 4;
        Map<byte[], Long> encoded = new LinkedHashMap<>();
        for (Map.Entry<String, Long> f : floors.entrySet()) {
            byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
            encoded.put(name, f.getValue());
            size += 2 + name.length + 8;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putInt(encoded.size());
        encoded.forEach((name, version) -> b.putShort((short) name.length).put(name).putLong(version));
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue()).flip();
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(path.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // the rename itself
        }
    }

    /** The floors in {@code path}: empty when there is no file, or it fails its check. */
    static Map<String, Long> read(Path path) throws IOException {
        Map<String, Long> floors = new LinkedHashMap<>();
        if (!Files.isRegularFile(path)) {
            return floors;
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        try {
            int limit = b.limit() - 4;
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, Math.max(limit, 0));
            if (limit < HEADER || b.getInt(0) != MAGIC || b.getInt(4) != VERSION || b.getInt(limit) != (int) crc.getValue()) {
                throw new IllegalArgumentException("bad header or checksum");
            }
            int count = b.getInt(8);
            b.position(HEADER);
            for (int i = 0; i < count; i++) {
                byte[] name = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(name);
                floors.put(new String(name, StandardCharsets.UTF_8), b.getLong());
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "index: " + path + " fails its check (" + e.getMessage()
                    + "); streams whose events retention deleted start at version 0 again");
            floors.clear();
        }
        return floors;
    }
}
