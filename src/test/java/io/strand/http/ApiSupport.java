package io.strand.http;

import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the HTTP API tests share: unique stream names (the test data directory outlives a run),
 * appends, the RFC 9457 problem check, the raw text of a JSON member (to compare data digit for
 * digit), and a decoder for the binary page format and log records written from docs/FORMAT.md
 * alone, without the server's own classes.
 */
final class ApiSupport {
    static final String PROBLEM_TYPE_PREFIX = "urn:strand:problem:";
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    private ApiSupport() {
    }

    /** A stream name no earlier run used. */
    static String unique(String prefix) {
        return prefix + "-" + RUN + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** POSTs a JSON body and expects 201; returns the response. */
    static Response appendJson(String stream, String body) {
        Response r = given().contentType("application/json").body(body).when().post("/streams/{s}", stream);
        assertEquals(201, r.statusCode(), () -> "append to " + stream + " answered " + r.statusCode() + ": " + r.asString());
        return r;
    }

    /** {@code n} events of type {@code T<i>} with data {@code {"i":i}} as one batch. */
    static String batch(int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"type\":\"T").append(i).append("\",\"data\":{\"i\":").append(i).append("}}");
        }
        return b.append(']').toString();
    }

    /** Checks an RFC 9457 problem: status, media type, and the four members; returns the body. */
    static JsonObject assertProblem(Response r, int status) {
        assertEquals(status, r.statusCode(), () -> "status; body: " + r.asString());
        String ct = r.contentType();
        assertNotNull(ct, "a problem has a Content-Type");
        assertTrue(ct.startsWith("application/problem+json"), () -> "problem Content-Type, got " + ct);
        JsonObject p = new JsonObject(r.asString());
        assertInstanceOf(String.class, p.getValue("type"), () -> "type is a string: " + p);
        assertTrue(p.getString("type").startsWith(PROBLEM_TYPE_PREFIX) && p.getString("type").length() > PROBLEM_TYPE_PREFIX.length(),
                () -> "type is urn:strand:problem:<slug>: " + p);
        assertInstanceOf(String.class, p.getValue("title"), () -> "title is a string: " + p);
        assertFalse(p.getString("title").isBlank(), () -> "title: " + p);
        assertInstanceOf(Number.class, p.getValue("status"), () -> "status is a number: " + p);
        assertEquals(status, p.getInteger("status"), () -> "status member: " + p);
        assertInstanceOf(String.class, p.getValue("detail"), () -> "detail is a string: " + p);
        assertFalse(p.getString("detail").isBlank(), () -> "detail: " + p);
        return p;
    }

    /** Checks an event's {@code timestamp}: ISO-8601 UTC ending in Z, within the last hour. */
    static void assertTimestamp(String ts) {
        assertNotNull(ts, "timestamp");
        assertTrue(ts.endsWith("Z"), () -> "timestamp ends in Z: " + ts);
        Instant t = Instant.parse(ts);
        Instant now = Instant.now();
        assertTrue(!t.isAfter(now.plusSeconds(5)) && t.isAfter(now.minusSeconds(3600)), () -> "timestamp is recent: " + ts);
    }

    /** The compact form of JSON text: whitespace outside strings removed. */
    static String compact(String json) {
        StringBuilder b = new StringBuilder();
        boolean inString = false;
        boolean escaped = false;
        for (char c : json.toCharArray()) {
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                continue;
            }
            b.append(c);
        }
        return b.toString();
    }

    /** The raw text of member {@code name} of the top-level object {@code json}, or null when absent. */
    static String rawMember(String json, String name) {
        int depth = 0;
        boolean inString = false;
        boolean escaped = false;
        int stringStart = -1;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                    if (depth == 1) {
                        int j = skipSpace(json, i + 1);
                        if (j < json.length() && json.charAt(j) == ':' && json.substring(stringStart + 1, i).equals(name)) {
                            int start = skipSpace(json, j + 1);
                            return json.substring(start, endOfValue(json, start)).trim();
                        }
                    }
                }
                continue;
            }
            if (c == '"') {
                inString = true;
                stringStart = i;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        return null;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int endOfValue(String s, int start) {
        int depth = 0;
        boolean inString = false;
        boolean escaped = false;
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (depth == 0) {
                    return i;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                return i;
            }
        }
        return s.length();
    }

    // ------------------------------------------------------------------ records (docs/FORMAT.md)

    /** One log record, decoded from its bytes as docs/FORMAT.md "Record" lays it out. */
    record Rec(int length, int flags, long timestamp, long version, UUID id, String stream, String type,
               byte[] metadata, byte[] data) {
        boolean binary() {
            return (flags & 0x01) != 0;
        }

        boolean batchContinues() {
            return (flags & 0x02) != 0;
        }

        String dataText() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** Decodes and checks (length, magic, version, CRC-32C) the record at {@code buf[at, at + length)}. */
    static Rec decodeRecord(byte[] buf, int at, int expectedLength) {
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        int length = b.getInt(at);
        if (expectedLength >= 0) {
            assertEquals(expectedLength, length, "record length field");
        }
        assertEquals(0x5354, b.getShort(at + 4) & 0xFFFF, "magic");
        assertEquals(2, b.get(at + 6), "record format version");
        int flags = b.get(at + 7) & 0xFF;
        int crc = b.getInt(at + 8);
        CRC32C c = new CRC32C();
        c.update(buf, at, 8);
        c.update(buf, at + 12, length - 12);
        assertEquals((int) c.getValue(), crc, "CRC-32C over [0,8) and [12,length)");
        long timestamp = b.getLong(at + 12);
        long version = b.getLong(at + 20);
        UUID id = new UUID(b.getLong(at + 28), b.getLong(at + 36));
        int streamLength = b.getShort(at + 44) & 0xFFFF;
        int typeLength = b.getShort(at + 46) & 0xFFFF;
        int metadataLength = b.getInt(at + 48);
        int dataLength = b.getInt(at + 52);
        assertEquals(0, b.getLong(at + 56), "raft index: 0, nothing here is replicated");
        assertEquals(length, 64 + streamLength + typeLength + metadataLength + dataLength, "length == 64 + parts");
        int p = at + 64;
        String stream = new String(buf, p, streamLength, StandardCharsets.UTF_8);
        p += streamLength;
        String type = new String(buf, p, typeLength, StandardCharsets.UTF_8);
        p += typeLength;
        byte[] metadata = java.util.Arrays.copyOfRange(buf, p, p + metadataLength);
        p += metadataLength;
        byte[] data = java.util.Arrays.copyOfRange(buf, p, p + dataLength);
        return new Rec(length, flags, timestamp, version, id, stream, type, metadata, data);
    }

    /** One event of a binary page: its log position and its record's bytes (unpadded), decoded. */
    record Frame(long position, byte[] recordBytes, Rec record) {
    }

    /**
     * Splits a binary page (docs/FORMAT.md "HTTP binary pages": {@code u32 count}, then {@code count x
     * (u32 record length, i64 position)}, then the records, each zero-padded to 8 bytes; all
     * little-endian) into its events, decoding and checking each record.
     */
    static List<Frame> frames(byte[] page) {
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(page.length >= 4, "a binary page starts with a u32 count");
        int count = b.getInt(0);
        assertTrue(count >= 0 && 4L + 12L * count <= page.length, () -> "count " + count + " fits the page of " + page.length);
        List<Frame> frames = new ArrayList<>();
        int at = 4 + 12 * count;
        for (int i = 0; i < count; i++) {
            int length = b.getInt(4 + 12 * i);
            long position = b.getLong(4 + 12 * i + 4);
            int start = at;
            assertTrue(length >= 64 && start + align8(length) <= page.length, () -> "record length " + length + " fits the page");
            byte[] rec = java.util.Arrays.copyOfRange(page, start, start + length);
            for (int pad = start + length; pad < start + align8(length); pad++) {
                assertEquals(0, page[pad], "records are zero-padded to 8 bytes");
            }
            frames.add(new Frame(position, rec, decodeRecord(rec, 0, length)));
            at += align8(length);
        }
        assertEquals(page.length, at, "the page ends after the last record");
        return frames;
    }

    static int align8(int n) {
        return (n + 7) & ~7;
    }
}
