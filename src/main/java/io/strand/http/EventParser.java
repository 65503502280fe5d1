package io.strand.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.strand.store.NewEvent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Parses an append body: one event object or a non-empty array of them, each with {@code type}
 * (string), {@code data} (any JSON), optional {@code id} (UUID) and {@code metadata} (object).
 * It streams over the bytes with Jackson's parser and keeps each {@code data} and {@code metadata}
 * value as the client's own text, minus insignificant whitespace: the same JSON value comes back,
 * numbers digit for digit, and no stored value contains a line break (SSE frames need that).
 */
final class EventParser {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build())
            .build();
    private static final int MAX_TYPE_BYTES = 1024;

    private EventParser() {
    }

    /** A request's events; {@code freshIds}: the client sent no id, this server made every one. */
    record Parsed(List<NewEvent> events, boolean freshIds) {
    }

    static Parsed parse(byte[] body, long maxEventSize) {
        // Only UTF-8 (RFC 8259 8.1). Jackson would also detect UTF-16/32, whose byte offsets it does
        // not report: such a body would be stored without its data. JSON text in UTF-8 never holds
        // a NUL byte, while any UTF-16/32 text of a JSON object or array does.
        for (byte b : body) {
            if (b == 0) {
                throw Problem.badRequest("the body must be JSON encoded as UTF-8 (it contains a NUL byte: UTF-16 or UTF-32?)");
            }
        }
        try (JsonParser p = JSON.createParser(body)) {
            JsonToken t = p.nextToken();
            List<NewEvent> events = new ArrayList<>();
            int[] givenIds = {0};
            if (t == JsonToken.START_OBJECT) {
                events.add(event(p, body, 0, maxEventSize, givenIds));
            } else if (t == JsonToken.START_ARRAY) {
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t != JsonToken.START_OBJECT) {
                        throw Problem.badRequest("event " + events.size() + " of the batch is not a JSON object");
                    }
                    events.add(event(p, body, events.size(), maxEventSize, givenIds));
                }
                if (events.isEmpty()) {
                    throw Problem.badRequest("the batch is an empty array: send at least one event");
                }
            } else {
                throw Problem.badRequest("the body must be a JSON object (one event) or an array of events");
            }
            if (p.nextToken() != null) {
                throw Problem.badRequest("unexpected content after the JSON value");
            }
            if (givenIds[0] > 0) {
                checkDistinctIds(events);
            }
            return new Parsed(events, givenIds[0] == 0);
        } catch (JsonProcessingException e) {
            throw Problem.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw Problem.badRequest("malformed JSON: " + e.getMessage());
        }
    }

    /** One event; counts in {@code givenIds} whether the client named its id. */
    private static NewEvent event(JsonParser p, byte[] body, int index, long maxEventSize, int[] givenIds) throws IOException {
        String type = null;
        UUID id = null;
        byte[] data = null;
        byte[] metadata = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "type" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        throw Problem.badRequest("event " + index + ": type must be a string");
                    }
                    type = p.getText();
                }
                case "id" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        throw Problem.badRequest("event " + index + ": id must be a UUID string");
                    }
                    id = uuid(p.getText(), "event " + index + ": id");
                }
                case "data" -> data = rawValue(p, body);
                case "metadata" -> {
                    if (value == JsonToken.VALUE_NULL) {
                        metadata = null;
                    } else if (value != JsonToken.START_OBJECT) {
                        throw Problem.badRequest("event " + index + ": metadata must be a JSON object");
                    } else {
                        metadata = rawValue(p, body);
                    }
                }
                default -> p.skipChildren(); // unknown members are ignored, as JSON APIs usually do
            }
        }
        if (type == null) {
            throw Problem.badRequest("event " + index + ": type is missing");
        }
        checkType(type, "event " + index + ": type");
        if (data == null) {
            throw Problem.badRequest("event " + index + ": data is missing");
        }
        long size = (long) data.length + (metadata == null ? 0 : metadata.length);
        if (size > maxEventSize) {
            throw Problem.tooLarge("event " + index + " is " + size + " bytes of data and metadata; strand.max-event-size is "
                    + maxEventSize);
        }
        if (id != null) {
            givenIds[0]++;
        }
        return new NewEvent(id == null ? UUID.randomUUID() : id, type, data, metadata, false);
    }

    /** One batch may not carry an event id twice (the store refuses it too; the client hears it from here). */
    private static void checkDistinctIds(List<NewEvent> events) {
        if (events.size() < 2) {
            return;
        }
        java.util.Set<UUID> ids = new java.util.HashSet<>(events.size() * 2);
        for (int i = 0; i < events.size(); i++) {
            if (!ids.add(events.get(i).id())) {
                throw Problem.badRequest("event " + i + ": id " + events.get(i).id() + " appears twice in the batch");
            }
        }
    }

    /** The current value's text from the body, compacted; leaves the parser on its last token. */
    private static byte[] rawValue(JsonParser p, byte[] body) throws IOException {
        int start = (int) p.currentTokenLocation().getByteOffset();
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
            p.skipChildren();
        } else {
            p.finishToken(); // a string's end is only known once it is read
        }
        int end = (int) p.currentLocation().getByteOffset();
        if (start < 0 || end < start) { // offsets unknown: never store a value we cannot cut out exactly
            throw Problem.badRequest("the body must be JSON encoded as UTF-8");
        }
        return compact(body, start, end);
    }

    /** Copies {@code body[start, end)} without the whitespace outside strings. */
    static byte[] compact(byte[] body, int start, int end) {
        byte[] out = new byte[end - start];
        int n = 0;
        boolean inString = false;
        boolean escaped = false;
        for (int i = start; i < end; i++) {
            byte b = body[i];
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (b == '\\') {
                    escaped = true;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                continue;
            }
            out[n++] = b;
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    static UUID uuid(String text, String what) {
        try {
            if (text.length() != 36) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest(what + " is not a UUID: " + abbreviate(text));
        }
    }

    /** Types are 1-1024 bytes of UTF-8 without control characters (they go into SSE {@code event:} lines). */
    static void checkType(String type, String what) {
        if (type.isEmpty()) {
            throw Problem.badRequest(what + " is empty");
        }
        if (type.getBytes(StandardCharsets.UTF_8).length > MAX_TYPE_BYTES) {
            throw Problem.badRequest(what + " is longer than " + MAX_TYPE_BYTES + " bytes");
        }
        for (int i = 0; i < type.length(); i++) {
            if (Character.isISOControl(type.charAt(i))) {
                throw Problem.badRequest(what + " contains a control character");
            }
        }
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
