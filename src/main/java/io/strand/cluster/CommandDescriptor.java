package io.strand.cluster;

import io.strand.store.NewEvent;
import io.strand.store.StreamChange;
import io.strand.store.StreamMetadataDescriptor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The bytes of a Raft entry's command (little-endian; see docs/FORMAT.md, "Raft entries"):
 *
 * <pre>
 * offset size field
 *  0      1   kind             1 append, 2 group commit, 3 several commands (below), 4 stream change,
 *                              5 system append (laid out as an append; its number is the term it is fenced by),
 *                              6 append of ids the accepting node made (laid out as an append; the
 *                              first id decides the repeat check)
 *  1      1   version          1
 *  2      2   name length      bytes of the UTF-8 stream (append) or group (commit) name
 *  4      4   count            events (append) or the commit's stream-name length (commit)
 *  8      8   timestamp        epoch milliseconds, taken by the accepting node
 * 16      8   expected/version the append's expected version, or the committed version
 * 24      …   name; then per event (append): 8 id msb, 8 id lsb, 1 binary, 2 type length,
 *             4 metadata length, 4 data length, type, metadata, data; or (commit) 8 id msb,
 *             8 id lsb, stream name; or (stream change: count is the change's kind, 0 delete,
 *             1 tombstone, 2 settings; the number its expected version) 8 id msb, 8 id lsb, and
 *             for settings the stream's metadata as docs/FORMAT.md lays out a $meta event's data
 * </pre>
 *
 * An entry of several commands (kind 3: the commands that reached one node while its previous
 * entries were on their way, applied in order as if each were an entry of its own): 1 kind, 1
 * version, 2 zero, 4 count, then per command 4 length and the command's bytes as above.
 *
 * The event bytes are encoded once, here, by the node that took the request; every replica
 * decodes the same bytes and turns them into the same records.
 */
final class CommandDescriptor {
    static final byte KIND_APPEND = 1;
    static final byte KIND_GROUP_COMMIT = 2;
    static final byte KIND_SEVERAL = 3;
    static final byte KIND_STREAM_CHANGE = 4;
    static final byte KIND_SYSTEM_APPEND = 5;
    static final byte KIND_APPEND_FRESH = 6;
    static final int SEVERAL_HEADER_LENGTH = 8;
    static final byte VERSION = 1;
    static final int KIND_OFFSET = 0;
    static final int VERSION_OFFSET = KIND_OFFSET + 1;
    static final int NAME_LENGTH_OFFSET = VERSION_OFFSET + 1;
    static final int COUNT_OFFSET = NAME_LENGTH_OFFSET + 2;
    static final int TIMESTAMP_OFFSET = COUNT_OFFSET + 4;
    static final int NUMBER_OFFSET = TIMESTAMP_OFFSET + 8;
    static final int HEADER_LENGTH = NUMBER_OFFSET + 8;
    static final int EVENT_HEADER_LENGTH = 8 + 8 + 1 + 2 + 4 + 4;

    private CommandDescriptor() {
    }

    static byte[] encode(Command command) {
        if (command instanceof Command.Append a) {
            return encodeAppend(a.freshIds() ? KIND_APPEND_FRESH : KIND_APPEND, a.stream(), a.events(), a.timestampMillis(),
                    a.expectedVersion());
        }
        if (command instanceof Command.SystemAppend a) {
            return encodeAppend(KIND_SYSTEM_APPEND, a.stream(), a.events(), a.timestampMillis(), a.term());
        }
        if (command instanceof Command.ChangeStream c) {
            byte[] stream = utf8(c.stream());
            byte[] settings = c.change().settings() == null ? new byte[0]
                    : StreamMetadataDescriptor.encode(c.stream(), c.change().settings());
            ByteBuffer b = header(KIND_STREAM_CHANGE, stream, c.change().kind().ordinal(), c.timestampMillis(),
                    c.expectedVersion(), 16 + settings.length);
            b.putLong(c.id().getMostSignificantBits()).putLong(c.id().getLeastSignificantBits()).put(settings);
            return b.array();
        }
        Command.GroupCommit g = (Command.GroupCommit) command;
        byte[] group = utf8(g.group());
        byte[] stream = utf8(g.stream());
        ByteBuffer b = header(KIND_GROUP_COMMIT, group, stream.length, g.timestampMillis(), g.version(), 16 + stream.length);
        b.putLong(g.id().getMostSignificantBits()).putLong(g.id().getLeastSignificantBits()).put(stream);
        return b.array();
    }

    private static byte[] encodeAppend(byte kind, String name, List<NewEvent> events, long timestamp, long number) {
        byte[] stream = utf8(name);
        byte[][] types = new byte[events.size()][];
        int size = 0;
        for (int i = 0; i < types.length; i++) {
            NewEvent e = events.get(i);
            types[i] = utf8(e.type());
            size += EVENT_HEADER_LENGTH + types[i].length + e.metadata().length + e.data().length;
        }
        ByteBuffer b = header(kind, stream, events.size(), timestamp, number, size);
        for (int i = 0; i < types.length; i++) {
            NewEvent e = events.get(i);
            b.putLong(e.id().getMostSignificantBits()).putLong(e.id().getLeastSignificantBits())
                    .put((byte) (e.binary() ? 1 : 0)).putShort((short) types[i].length)
                    .putInt(e.metadata().length).putInt(e.data().length)
                    .put(types[i]).put(e.metadata()).put(e.data());
        }
        return b.array();
    }

    private static ByteBuffer header(byte kind, byte[] name, int count, long timestamp, long number, int rest) {
        if (name.length > 0xFFFF) {
            throw new IllegalArgumentException("name too long: " + name.length);
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + name.length + rest).order(ByteOrder.LITTLE_ENDIAN);
        b.put(kind).put(VERSION).putShort((short) name.length).putInt(count).putLong(timestamp).putLong(number).put(name);
        return b;
    }

    /** One entry holding {@code commands} (each as {@link #encode} made it), in the order they apply. */
    static byte[] several(List<byte[]> commands) {
        int size = SEVERAL_HEADER_LENGTH;
        for (byte[] c : commands) {
            size += 4 + c.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(KIND_SEVERAL).put(VERSION).putShort((short) 0).putInt(commands.size());
        for (byte[] c : commands) {
            b.putInt(c.length).put(c);
        }
        return b.array();
    }

    /** The commands of one entry, in order: one, or several ({@link #several}). */
    static List<Command> decodeEntry(ByteBuffer in) {
        ByteBuffer b = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < SEVERAL_HEADER_LENGTH || b.get(KIND_OFFSET) != KIND_SEVERAL) {
            return List.of(decode(b));
        }
        if (b.get(VERSION_OFFSET) != VERSION) {
            throw new IllegalArgumentException("not a Strand entry of format " + VERSION + ": version " + b.get(VERSION_OFFSET));
        }
        int count = b.getInt(4);
        List<Command> commands = new ArrayList<>(count);
        int at = SEVERAL_HEADER_LENGTH;
        for (int i = 0; i < count; i++) {
            int length = b.getInt(at);
            if (length < 0 || at + 4 + length > b.limit()) {
                throw new IllegalArgumentException("command " + i + " of " + count + " overruns the entry");
            }
            commands.add(decode(b.slice(at + 4, length)));
            at += 4 + length;
        }
        return commands;
    }

    /** Decodes a command; {@link IllegalArgumentException} for bytes no Strand wrote. */
    static Command decode(ByteBuffer in) {
        ByteBuffer b = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < HEADER_LENGTH || b.get(VERSION_OFFSET) != VERSION) {
            throw new IllegalArgumentException("not a Strand command of format " + VERSION + ": " + b.remaining() + " bytes");
        }
        byte kind = b.get(KIND_OFFSET);
        int nameLength = Short.toUnsignedInt(b.getShort(NAME_LENGTH_OFFSET));
        int count = b.getInt(COUNT_OFFSET);
        long timestamp = b.getLong(TIMESTAMP_OFFSET);
        long number = b.getLong(NUMBER_OFFSET);
        String name = string(b, HEADER_LENGTH, nameLength);
        b.position(HEADER_LENGTH + nameLength);
        if (kind == KIND_GROUP_COMMIT) {
            UUID id = new UUID(b.getLong(), b.getLong());
            byte[] stream = new byte[count];
            b.get(stream);
            return new Command.GroupCommit(name, new String(stream, StandardCharsets.UTF_8), number, id, timestamp);
        }
        if (kind == KIND_STREAM_CHANGE) {
            UUID id = new UUID(b.getLong(), b.getLong());
            if (count < 0 || count >= StreamChange.Kind.values().length) {
                throw new IllegalArgumentException("no stream change of kind " + count);
            }
            StreamChange.Kind change = StreamChange.Kind.values()[count];
            StreamChange c = change == StreamChange.Kind.DELETE ? StreamChange.delete()
                    : change == StreamChange.Kind.TOMBSTONE ? StreamChange.tombstone()
                    : StreamChange.set(StreamMetadataDescriptor.decode(b.slice()).metadata());
            return new Command.ChangeStream(name, c, number, id, timestamp);
        }
        if (kind != KIND_APPEND && kind != KIND_APPEND_FRESH && kind != KIND_SYSTEM_APPEND) {
            throw new IllegalArgumentException("unknown command kind " + kind);
        }
        List<NewEvent> events = new ArrayList<>(count);
        // A batch's events mostly share a type: its string is made once (profiled: decoding the
        // type was a third of a replica's applying thread on batches of 100).
        byte[] lastType = null;
        String lastTypeString = null;
        for (int i = 0; i < count; i++) {
            UUID id = new UUID(b.getLong(), b.getLong());
            boolean binary = b.get() != 0;
            int typeLength = Short.toUnsignedInt(b.getShort());
            byte[] metadata = new byte[b.getInt()];
            byte[] data = new byte[b.getInt()];
            int typeAt = b.position();
            if (lastType == null || typeLength != lastType.length
                    || b.slice(typeAt, typeLength).mismatch(ByteBuffer.wrap(lastType)) != -1) {
                lastType = new byte[typeLength];
                b.get(typeAt, lastType);
                lastTypeString = new String(lastType, StandardCharsets.UTF_8);
            }
            b.position(typeAt + typeLength).get(metadata).get(data);
            events.add(new NewEvent(id, lastTypeString, data, metadata, binary));
        }
        return kind == KIND_SYSTEM_APPEND ? new Command.SystemAppend(number, name, timestamp, events)
                : new Command.Append(name, number, timestamp, events, kind == KIND_APPEND_FRESH);
    }

    private static String string(ByteBuffer b, int offset, int length) {
        byte[] bytes = new byte[length];
        b.get(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
