package io.strand.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * {@code index/streams}: stream names in id order, so ids survive restarts. Each entry is
 * {@code u16 length, UTF-8 name, u32 crc32c(length and name)}, little-endian; the i-th entry names
 * stream id i. Append-only; a torn or corrupt tail is cut off at load (its names come back from the
 * log, which carries every name). Not thread-safe: the indexer thread owns it after open.
 */
final class CatalogFile implements AutoCloseable {
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private int persisted;

    CatalogFile(Path file) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** Reads every valid name in order, cuts off anything after the last one, and returns how many. */
    int load(Consumer<String> names) throws IOException {
        long size = channel.size();
        ByteBuffer in = ByteBuffer.allocate((int) Math.min(size, Integer.MAX_VALUE - 8)).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining() && channel.read(in, in.position()) > 0) {
            // read it all
        }
        in.flip();
        int count = 0;
        int good = 0;
        while (in.remaining() >= 2) {
            int start = in.position();
            int len = Short.toUnsignedInt(in.getShort());
            if (len == 0 || in.remaining() < len + 4) {
                break;
            }
            crc.reset();
            crc.update(in.array(), start, 2 + len);
            String name = new String(in.array(), start + 2, len, StandardCharsets.UTF_8);
            in.position(start + 2 + len);
            if (in.getInt() != (int) crc.getValue()) {
                break;
            }
            names.accept(name);
            count++;
            good = in.position();
        }
        if (good < size) {
            channel.truncate(good);
        }
        channel.position(good);
        persisted = count;
        return count;
    }

    /** Names persisted (or buffered) so far: ids below this are in the file. */
    int persisted() {
        return persisted;
    }

    void append(String name) throws IOException {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (buffer.remaining() < bytes.length + 6) {
            writeBuffered();
        }
        int start = buffer.position();
        buffer.putShort((short) bytes.length).put(bytes);
        crc.reset();
        crc.update(buffer.array(), start, 2 + bytes.length);
        buffer.putInt((int) crc.getValue());
        persisted++;
    }

    void writeBuffered() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    void sync() throws IOException {
        writeBuffered();
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
