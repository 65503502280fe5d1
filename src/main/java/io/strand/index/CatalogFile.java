package io.strand.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * {@code index/streams}: stream names in id order, so ids survive restarts. A header
 * ({@link IndexHeaderDescriptor}, magic "SIXS", the format version) and then one entry per name
 * ({@link CatalogDescriptor}: length, UTF-8 name, CRC-32C); the i-th entry names stream id i.
 * Append-only; a torn or corrupt tail is cut off at load (its names come back from the log, which
 * carries every name). Owns the file's channel and its write buffer; the layouts are the
 * descriptors' (this class does no offset arithmetic on them).
 *
 * <p>Not thread-safe: the indexer thread owns it after open.
 */
final class CatalogFile implements AutoCloseable {
    private static final int HEADER_LENGTH = IndexHeaderDescriptor.LENGTH;

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(Math.max(64 << 10, CatalogDescriptor.MAX_LENGTH));
    private final CRC32C crc = new CRC32C();
    private int persisted;

    CatalogFile(Path file) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /**
     * Checks the file's header: {@link IndexHeaderDescriptor#VALID}, or why it does not match (a
     * file of an earlier version has none). An empty file (a new index) gets a fresh header and is
     * valid.
     */
    int checkHeader() throws IOException {
        if (channel.size() == 0) {
            reset();
            return IndexHeaderDescriptor.VALID;
        }
        ByteBuffer h = ByteBuffer.allocate(HEADER_LENGTH);
        while (h.hasRemaining() && channel.read(h, h.position()) > 0) {
            // read the header, or what there is of it
        }
        return IndexHeaderDescriptor.check(h, 0, h.position(), crc, IndexHeaderDescriptor.STREAMS_MAGIC,
                IndexHeaderDescriptor.STREAMS_VERSION, 0);
    }

    /** Empties the file down to a fresh header (no names). */
    void reset() throws IOException {
        channel.truncate(0);
        ByteBuffer h = ByteBuffer.allocate(HEADER_LENGTH);
        IndexHeaderDescriptor.encode(h, 0, crc, IndexHeaderDescriptor.STREAMS_MAGIC,
                IndexHeaderDescriptor.STREAMS_VERSION, 0);
        while (h.hasRemaining()) {
            channel.write(h, h.position());
        }
        channel.position(HEADER_LENGTH);
        persisted = 0;
    }

    /**
     * Reads every valid name in order, cuts off anything after the last one, and returns how many.
     * After {@link #checkHeader()} said the header is valid.
     */
    int load(Consumer<byte[]> names) throws IOException {
        long size = channel.size();
        // Chunked reads: a heap buffer the size of the file would also pin a direct buffer that large.
        ByteBuffer in = ByteBuffer.allocate(2 * CatalogDescriptor.MAX_LENGTH);
        long chunkAt = HEADER_LENGTH; // file offset of in[0]
        int filled = 0;
        int at = 0;
        int count = 0;
        long good = HEADER_LENGTH;
        while (true) {
            int length = CatalogDescriptor.check(in, at, filled - at, crc);
            if (length > 0) {
                names.accept(CatalogDescriptor.name(in, at));
                count++;
                at += length;
                good = chunkAt + at;
                continue;
            }
            if (length != CatalogDescriptor.TRUNCATED || chunkAt + filled >= size) {
                break; // torn or corrupt, or the end of the file
            }
            System.arraycopy(in.array(), at, in.array(), 0, filled - at); // keep the partial entry
            chunkAt += at;
            filled -= at;
            at = 0;
            in.limit(in.capacity()).position(filled);
            int n = channel.read(in, chunkAt + filled);
            if (n <= 0) {
                break;
            }
            filled += n;
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
        if (buffer.remaining() < CatalogDescriptor.entryLength(bytes.length)) {
            writeBuffered();
        }
        int start = buffer.position();
        buffer.position(start + CatalogDescriptor.encode(buffer, start, crc, bytes));
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
