package io.strand.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Which events a filtered read or subscription delivers: the event type is one of {@code types}
 * (any when none) and the stream name starts with one of {@code streamPrefixes} (any when none); OR
 * within each list, AND across the two. Evaluated on a record's header bytes (the UTF-8 stream name
 * and type, compared byte for byte), so nothing is decoded and the data is never looked at.
 * Immutable and thread-safe.
 */
public final class EventFilter {
    public static final EventFilter ALL = new EventFilter(List.of(), List.of());

    private final byte[][] types;
    private final byte[][] prefixes;
    private final List<String> typeNames;
    private final List<String> prefixNames;

    private EventFilter(List<String> types, List<String> streamPrefixes) {
        this.typeNames = List.copyOf(types);
        this.prefixNames = List.copyOf(streamPrefixes);
        this.types = types.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        this.prefixes = streamPrefixes.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
    }

    public static EventFilter of(List<String> types, List<String> streamPrefixes) {
        return types.isEmpty() && streamPrefixes.isEmpty() ? ALL : new EventFilter(types, streamPrefixes);
    }

    /** Whether every event passes. */
    public boolean all() {
        return types.length == 0 && prefixes.length == 0;
    }

    public boolean matches(EventView v) {
        return all() || v.passes(this);
    }

    /** On a record's own bytes: the stream name at {@code [streamAt, +streamLength)}, the type at {@code [typeAt, +typeLength)}. */
    boolean matches(ByteBuffer b, int streamAt, int streamLength, int typeAt, int typeLength) {
        return (types.length == 0 || anyEquals(types, b, typeAt, typeLength))
                && (prefixes.length == 0 || anyPrefix(prefixes, b, streamAt, streamLength));
    }

    private static boolean anyEquals(byte[][] candidates, ByteBuffer b, int at, int length) {
        for (byte[] c : candidates) {
            if (c.length == length && startsWith(b, at, c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyPrefix(byte[][] candidates, ByteBuffer b, int at, int length) {
        for (byte[] c : candidates) {
            if (c.length <= length && startsWith(b, at, c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(ByteBuffer b, int at, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (b.get(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "EventFilter[types=" + typeNames + ", streamPrefixes=" + prefixNames + "]";
    }
}
