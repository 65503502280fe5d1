package io.strand.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * One file of {@code index/entries/}: a 40-byte entry per event of one log segment, in log order —
 * what lets a restart rebuild every stream's index without reading the log. Little-endian:
 *
 * <pre>
 *   0  int64 position   log position of the event's record
 *   8  int64 version    stream version
 *  16  int64 timestamp  append time, epoch millis (the dedup window)
 *  24  int64 dedupKey   {@link DedupIndex#key} of (stream id, event id)
 *  32  int32 streamId   id in {@code index/streams}
 *  36  int32 crc32c     over bytes [0, 36)
 * </pre>
 *
 * Only entries below the index checkpoint were forced to disk; the rest are rebuilt from the log.
 * Not thread-safe: the indexer owns it after open. {@link EntryFiles} keeps one per segment.
 */
final class EntryFile implements AutoCloseable {
    static final int ENTRY_LENGTH = 40;
    static final int POSITION = 0;
    static final int VERSION = 8;
    static final int TIMESTAMP = 16;
    static final int KEY = 24;
    static final int STREAM_ID = 32;
    static final int CRC = 36;

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
    private final ByteBuffer buffer = ByteBuffer.allocate(ENTRY_LENGTH * 4096).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private long entries;

    private boolean complete;

    /** Opens (or creates) a file to {@link #load}; it is written from where loading stopped. */
    EntryFile(Path file) throws IOException {
        this(file, false);
    }

    /** With {@code fresh}, creates an empty file, truncating one that exists, ready to append. */
    EntryFile(Path file, boolean fresh) throws IOException {
        channel = fresh
                ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)
                : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /**
     * Visits valid entries in order until one is invalid or refused; truncates the file there.
     * {@link #complete()} then tells whether every byte of the file was a valid, accepted entry.
     */
    long load(Visitor visitor) throws IOException {
        long size = channel.size() - channel.size() % ENTRY_LENGTH;
        ByteBuffer in = ByteBuffer.allocate(ENTRY_LENGTH * 16384).order(ByteOrder.LITTLE_ENDIAN);
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
                if (channel.read(in, at + in.position()) < 0) {
                    break;
                }
            }
            in.flip();
            for (int off = 0; off + ENTRY_LENGTH <= in.limit(); off += ENTRY_LENGTH) {
                crc.reset();
                crc.update(in.array(), off, CRC);
                if (in.getInt(off + CRC) != (int) crc.getValue()) {
                    break outer;
                }
                e.position = in.getLong(off + POSITION);
                e.version = in.getLong(off + VERSION);
                e.timestamp = in.getLong(off + TIMESTAMP);
                e.key = in.getLong(off + KEY);
                e.streamId = in.getInt(off + STREAM_ID);
                if (!visitor.accept(e)) {
                    break outer;
                }
                good += ENTRY_LENGTH;
            }
            at += in.limit();
        }
        complete = good == channel.size();
        if (!complete) {
            channel.truncate(good);
        }
        channel.position(good);
        entries = good / ENTRY_LENGTH;
        return entries;
    }

    void append(long position, long version, long timestamp, long key, int streamId) throws IOException {
        if (buffer.remaining() < ENTRY_LENGTH) {
            writeBuffered();
        }
        int off = buffer.position();
        buffer.putLong(position).putLong(version).putLong(timestamp).putLong(key).putInt(streamId);
        crc.reset();
        crc.update(buffer.array(), off, CRC);
        buffer.putInt((int) crc.getValue());
        entries++;
    }

    long entries() {
        return entries;
    }

    /** After {@link #load}: true when nothing was cut off (no torn, corrupt or refused entry). */
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
