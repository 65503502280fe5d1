package io.strand.store;

import java.util.Objects;
import java.util.UUID;

/**
 * An event to append. {@code data} is the JSON text's UTF-8 bytes when {@code binary} is false, or
 * opaque bytes when true; {@code metadata} is a JSON object's UTF-8 bytes, or empty.
 */
public record NewEvent(UUID id, String type, byte[] data, byte[] metadata, boolean binary) {
    private static final byte[] EMPTY = new byte[0];

    public NewEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        metadata = metadata == null ? EMPTY : metadata;
    }

    public static NewEvent json(UUID id, String type, String json) {
        return new NewEvent(id, type, json.getBytes(java.nio.charset.StandardCharsets.UTF_8), null, false);
    }
}
