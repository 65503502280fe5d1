package io.strand.http;

import io.netty.buffer.ByteBuf;
import io.strand.store.EventView;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * Writes events as the contract's JSON: {@code {"stream","version","position","id","type",
 * "timestamp","metadata","data"}} with {@code "dataEncoding":"base64"} for binary data. JSON data
 * and metadata are the stored text (already compact JSON), so they are copied as bytes, never
 * parsed. {@link #writeHead} stops right after {@code "data":}, so the SSE path can follow it with
 * the mapped data itself instead of a copy.
 */
final class EventJson {
    private static final byte[] EMPTY_OBJECT = {'{', '}'};

    private EventJson() {
    }

    /** The whole event object. */
    static void write(ByteBuf out, EventView v) {
        writeHead(out, v);
        writeData(out, v);
        out.writeByte('}');
    }

    /** Everything up to and including {@code "data":}. */
    static void writeHead(ByteBuf out, EventView v) {
        ascii(out, "{\"stream\":");
        string(out, v.streamBytes());
        ascii(out, ",\"version\":");
        ascii(out, Long.toString(v.version()));
        ascii(out, ",\"position\":");
        ascii(out, Long.toString(v.position()));
        ascii(out, ",\"id\":\"");
        ascii(out, v.id().toString());
        ascii(out, "\",\"type\":");
        string(out, v.typeBytes());
        ascii(out, ",\"timestamp\":\"");
        ascii(out, Instant.ofEpochMilli(v.timestamp()).toString());
        ascii(out, "\",\"metadata\":");
        ByteBuffer metadata = v.metadata();
        if (metadata.remaining() == 0) {
            out.writeBytes(EMPTY_OBJECT);
        } else {
            out.writeBytes(metadata);
        }
        if (v.binary()) {
            ascii(out, ",\"dataEncoding\":\"base64\"");
        }
        ascii(out, ",\"data\":");
    }

    /** The data value: the JSON text, or base64 of binary data in quotes. */
    static void writeData(ByteBuf out, EventView v) {
        ByteBuffer data = v.data();
        if (v.binary()) {
            out.writeByte('"');
            out.writeBytes(Base64.getEncoder().encode(data));
            out.writeByte('"');
        } else {
            out.writeBytes(data);
        }
    }

    static void ascii(ByteBuf out, String s) {
        out.writeCharSequence(s, StandardCharsets.US_ASCII);
    }

    /** A JSON string of UTF-8 bytes, escaping quotes, backslashes and control characters. */
    static void string(ByteBuf out, ByteBuffer utf8) {
        out.writeByte('"');
        for (int i = utf8.position(); i < utf8.limit(); i++) {
            byte b = utf8.get(i);
            if (b == '"' || b == '\\') {
                out.writeByte('\\').writeByte(b);
            } else if (b >= 0 && b < 0x20) {
                ascii(out, String.format("\\u%04x", b));
            } else {
                out.writeByte(b);
            }
        }
        out.writeByte('"');
    }

    static void string(ByteBuf out, String s) {
        string(out, ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }
}
