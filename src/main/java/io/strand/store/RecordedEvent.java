package io.strand.store;

import java.util.UUID;

/**
 * An event read back: where it is ({@code stream}, {@code version}, log {@code position}) and what
 * it is. {@code data} and {@code metadata} are copies on the heap; {@code binary} tells whether
 * data is opaque bytes rather than JSON text.
 */
public record RecordedEvent(String stream, long version, long position, UUID id, String type, long timestamp,
                            byte[] data, byte[] metadata, boolean binary) {
}
