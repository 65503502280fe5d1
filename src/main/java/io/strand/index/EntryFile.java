package io.strand.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * One file of {@code index/entries/}: a header ({@link IndexHeaderDescriptor}, magic "SIXE", the
 * format version and the segment's base position) and then one 40-byte entry
 * ({@link EntryDescriptor}) per event of one log segment, in log order — what lets a restart
 * rebuild every stream's index without reading the log. Owns the file's channel and its write
 * buffer; the layouts are the descriptors' (this class does no offset arithmetic on them).
 *
 * <p>Only entries below the index checkpoint were forced to disk; the rest are rebuilt from the log.
 * A file whose header does not match (another version, no header at all, a torn header) is emptied
 * and the log indexed again from there. Not thread-safe: the indexer owns it after open.
 * {@link EntryFiles} keeps one per segment.
 */
final class EntryFile implements AutoCloseable {
    static final int ENTRY_LENGTH = EntryDescriptor.LENGTH;
    private static final int HEADER_LENGTH = IndexHeaderDescriptor.LENGTH;

    /** One decoded entry (reused while loading). */
    static final class Entry {
        long position;
        long version;
        long timestamp;
        long key;
        int streamId;
    }

    interface Visitor {
        /** Returns false to stop loading at this entry (it and all after it are cut off). */
        boolean accept(Entry e);
    }

    private final FileChannel channel;
    private final long base;
    private final ByteBuffer buffer = ByteBuffer.allocate(ENTRY_LENGTH * 4096);
    private final CRC32C crc = new CRC32C();
    private long entries;
    private boolean complete;
    /** After {@link #load}: {@link IndexHeaderDescriptor#VALID}, or why the header was refused. */
    private int headerCode = IndexHeaderDescriptor.VALID;

    /** Opens (or creates) the file of the segment at {@code base} to {@link #load}; it is written from where loading stopped. */
    EntryFile(Path file, long base) throws IOException {
        this(file, base, false);
    }

    /** With {@code fresh}, creates a file holding only its header, truncating one that exists, ready to append. */
    EntryFile(Path file, long base, boolean fresh) throws IOException {
        this.base = base;
        channel = fresh
                ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)
                : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (fresh) {
            writeHeader();
        }
    }

    /** Empties the file down to a fresh header; the next write goes after it. */
    private void writeHeader() throws IOException {
        channel.truncate(0);
        ByteBuffer h = ByteBuffer.allocate(HEADER_LENGTH);
        IndexHeaderDescriptor.encode(h, 0, crc, IndexHeaderDescriptor.ENTRIES_MAGIC,
                IndexHeaderDescriptor.ENTRIES_VERSION, base);
        while (h.hasRemaining()) {
            channel.write(h, h.position());
        }
        channel.position(HEADER_LENGTH);
    }

    /**
     * Checks the header, then visits valid entries in order until one is invalid or refused;
     * truncates the file there. {@link #complete()} then tells whether every byte of the file was a
     * valid, accepted entry. A header that does not match ({@link #headerCode()}) empties the file
     * (a fresh header, no entries) and leaves it incomplete.
     */
    long load(Visitor visitor) throws IOException {
        long fileSize = channel.size();
        ByteBuffer h = ByteBuffer.allocate(HEADER_LENGTH);
        while (h.hasRemaining() && channel.read(h, h.position()) > 0) {
            // read the header, or what there is of it
        }
        headerCode = IndexHeaderDescriptor.check(h, 0, h.position(), crc, IndexHeaderDescriptor.ENTRIES_MAGIC,
                IndexHeaderDescriptor.ENTRIES_VERSION, base);
        if (headerCode != IndexHeaderDescriptor.VALID) {
            writeHeader();
            complete = false;
            entries = 0;
            return 0;
        }
        long dataSize = fileSize - HEADER_LENGTH;
        long size = dataSize - dataSize % ENTRY_LENGTH;
        ByteBuffer in = ByteBuffer.allocate(ENTRY_LENGTH * 16384);
        Entry e = new Entry();
        long good = 0;
        long at = 0;
        outer:
        while (at < size) {
            in.clear();
            if (size - at < in.capacity()) {
                in.limit((int) (size - at));
            }
            while (in.hasRemaining()) {
                if (channel.read(in, HEADER_LENGTH + at + in.position()) < 0) {
                    break;
                }
            }
            in.flip();
            for (int off = 0; off + ENTRY_LENGTH <= in.limit(); off += ENTRY_LENGTH) {
                if (!EntryDescriptor.check(in, off, in.limit() - off, crc)) {
                    break outer;
                }
                e.position = EntryDescriptor.position(in, off);
                e.version = EntryDescriptor.version(in, off);
                e.timestamp = EntryDescriptor.timestamp(in, off);
                e.key = EntryDescriptor.key(in, off);
                e.streamId = EntryDescriptor.streamId(in, off);
                if (!visitor.accept(e)) {
                    break outer;
                }
                good += ENTRY_LENGTH;
            }
            at += in.limit();
        }
        complete = good == dataSize;
        if (!complete) {
            channel.truncate(HEADER_LENGTH + good);
        }
        channel.position(HEADER_LENGTH + good);
        entries = good / ENTRY_LENGTH;
        return entries;
    }

    /** After {@link #load}: {@link IndexHeaderDescriptor#VALID}, or the code of the header's mismatch. */
    int headerCode() {
        return headerCode;
    }

    void append(long position, long version, long timestamp, long key, int streamId) throws IOException {
        if (buffer.remaining() < ENTRY_LENGTH) {
            writeBuffered();
        }
        int off = buffer.position();
        EntryDescriptor.encode(buffer, off, crc, position, version, timestamp, key, streamId);
        buffer.position(off + ENTRY_LENGTH);
        entries++;
    }

    long entries() {
        return entries;
    }

    /** After {@link #load}: true when nothing was cut off (no bad header, no torn, corrupt or refused entry). */
    boolean complete() {
        return complete;
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
