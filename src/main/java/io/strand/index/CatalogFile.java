package io.strand.index;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
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
    int load(Consumer<byte[]> names) throws IOException {
        long size = channel.size();
        // Small reads: a heap buffer the size of the file would also pin a direct buffer that large.
        DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel.position(0)), 64 << 10));
        byte[] lengthBytes = new byte[2];
        int count = 0;
        long good = 0;
        while (good + 2 <= size) {
            int len = in.readUnsignedByte() | in.readUnsignedByte() << 8;
            if (len == 0 || good + 2 + len + 4 > size) {
                break;
            }
            byte[] name = new byte[len];
            in.readFully(name);
            int stored = Integer.reverseBytes(in.readInt());
            lengthBytes[0] = (byte) len;
            lengthBytes[1] = (byte) (len >>> 8);
            crc.reset();
            crc.update(lengthBytes);
            crc.update(name);
            if (stored != (int) crc.getValue()) {
                break;
            }
            names.accept(name);
            count++;
            good += 2 + len + 4;
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

    void append(byte[] bytes) throws IOException {
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
