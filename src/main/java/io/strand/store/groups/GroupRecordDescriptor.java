package io.strand.store.groups;

import io.strand.store.InvalidRequestException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Layout of a shared group's records, the data of the events of its stream {@code $pg-<group>}
 * (little-endian; the record's CRC32C covers it): 2 magic 0x4750 ("PG"), 1 format (1), 1 kind, then
 * <ul>
 *   <li>settings (1): u16 source length, source, i64 from, i32 ackTimeout, i32 maxDeliveries,
 *       i32 maxInFlight, u8 strategy, u16 type count and per type u16 length and UTF-8, the same for
 *       stream prefixes;
 *   <li>settled (2): i64 resume, i32 count, count × i64 offset;
 *   <li>parked (3): i64 resume, i64 offset, i64 id msb, i64 id lsb;
 *   <li>replayed (4): i64 version of the group's stream;
 *   <li>deleted (5): nothing.
 * </ul>
 * An offset is a version of the source stream, or a log position for {@code $all}.
 */
final class GroupRecordDescriptor {
    static final short MAGIC = 0x4750;
    static final byte FORMAT = 1;
    static final byte SETTINGS = 1;
    static final byte SETTLED = 2;
    static final byte PARKED = 3;
    static final byte REPLAYED = 4;
    static final byte DELETED = 5;
    static final int HEADER_LENGTH = 4;

    private GroupRecordDescriptor() {
    }

    static byte[] encode(GroupRecord record) {
        if (record instanceof GroupRecord.Settings s) {
            return settings(s.settings());
        }
        if (record instanceof GroupRecord.Settled s) {
            return header(SETTLED, 12 + 8 * s.offsets().length).putLong(s.resume()).putInt(s.offsets().length)
                    .put(longs(s.offsets())).array();
        }
        if (record instanceof GroupRecord.Parked p) {
            return header(PARKED, 32).putLong(p.resume()).putLong(p.offset())
                    .putLong(p.id().getMostSignificantBits()).putLong(p.id().getLeastSignificantBits()).array();
        }
        if (record instanceof GroupRecord.Replayed r) {
            return header(REPLAYED, 8).putLong(r.through()).array();
        }
        return header(DELETED, 0).array();
    }

    private static byte[] settings(GroupSettings s) {
        byte[] source = s.stream().getBytes(StandardCharsets.UTF_8);
        List<byte[]> types = utf8(s.types());
        List<byte[]> prefixes = utf8(s.streamPrefixes());
        int size = 2 + source.length + 8 + 12 + 1 + 2 + 2;
        for (byte[] b : types) {
            size += 2 + b.length;
        }
        for (byte[] b : prefixes) {
            size += 2 + b.length;
        }
        ByteBuffer b = header(SETTINGS, size).putShort((short) source.length).put(source).putLong(s.from())
                .putInt(s.ackTimeoutSeconds()).putInt(s.maxDeliveries()).putInt(s.maxInFlight())
                .put((byte) s.strategy().ordinal());
        strings(b, types);
        strings(b, prefixes);
        return b.array();
    }

    /** Decodes what {@link #encode} wrote; {@link IllegalArgumentException} for anything else. */
    static GroupRecord decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (data.length < HEADER_LENGTH || b.getShort() != MAGIC || b.get() != FORMAT) {
            throw new IllegalArgumentException("not a shared-group record of format " + FORMAT + ": " + data.length + " bytes");
        }
        byte kind = b.get();
        try {
            switch (kind) {
                case SETTINGS -> {
                    String source = string(b);
                    long from = b.getLong();
                    int ackTimeout = b.getInt();
                    int maxDeliveries = b.getInt();
                    int maxInFlight = b.getInt();
                    GroupSettings.Strategy strategy = GroupSettings.Strategy.values()[b.get()];
                    List<String> types = strings(b);
                    List<String> prefixes = strings(b);
                    return new GroupRecord.Settings(new GroupSettings(source, types, prefixes, from, ackTimeout,
                            maxDeliveries, maxInFlight, strategy));
                }
                case SETTLED -> {
                    long resume = b.getLong();
                    long[] offsets = new long[b.getInt()];
                    for (int i = 0; i < offsets.length; i++) {
                        offsets[i] = b.getLong();
                    }
                    return new GroupRecord.Settled(resume, offsets);
                }
                case PARKED -> {
                    return new GroupRecord.Parked(b.getLong(), b.getLong(), new UUID(b.getLong(), b.getLong()));
                }
                case REPLAYED -> {
                    return new GroupRecord.Replayed(b.getLong());
                }
                case DELETED -> {
                    return new GroupRecord.Deleted();
                }
                default -> throw new IllegalArgumentException("unknown shared-group record kind " + kind);
            }
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException && !(e instanceof InvalidRequestException)) {
                throw e;
            }
            throw new IllegalArgumentException("bad shared-group record of kind " + kind + ": " + e.getMessage(), e);
        }
    }

    private static ByteBuffer header(byte kind, int rest) {
        return ByteBuffer.allocate(HEADER_LENGTH + rest).order(ByteOrder.LITTLE_ENDIAN)
                .putShort(MAGIC).put(FORMAT).put(kind);
    }

    private static byte[] longs(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    private static List<byte[]> utf8(List<String> values) {
        List<byte[]> out = new ArrayList<>(values.size());
        for (String v : values) {
            out.add(v.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void strings(ByteBuffer b, List<byte[]> values) {
        b.putShort((short) values.size());
        for (byte[] v : values) {
            b.putShort((short) v.length).put(v);
        }
    }

    private static List<String> strings(ByteBuffer b) {
        int n = Short.toUnsignedInt(b.getShort());
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(string(b));
        }
        return out;
    }

    private static String string(ByteBuffer b) {
        byte[] bytes = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
