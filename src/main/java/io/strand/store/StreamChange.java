package io.strand.store;

/**
 * A change to a stream's lifecycle: a soft delete, a tombstone (hard delete, for ever), or new
 * settings ({@code PUT /streams/{s}/metadata}). It goes through the log as a {@code $meta} event, so
 * every replica applies it at the same place among the appends.
 */
public record StreamChange(Kind kind, StreamMetadata settings) {
    public enum Kind {
        DELETE, TOMBSTONE, SET;

        static Kind of(int code) {
            Kind[] all = values();
            if (code < 0 || code >= all.length) {
                throw new IllegalArgumentException("no stream change of kind " + code);
            }
            return all[code];
        }
    }

    public static StreamChange delete() {
        return new StreamChange(Kind.DELETE, null);
    }

    public static StreamChange tombstone() {
        return new StreamChange(Kind.TOMBSTONE, null);
    }

    public static StreamChange set(StreamMetadata settings) {
        return new StreamChange(Kind.SET, settings);
    }

    /** The metadata after this change to {@code m}, the stream's last version being {@code last}. */
    StreamMetadata applyTo(StreamMetadata m, long last) {
        return switch (kind) {
            case DELETE -> m.deletedBefore(last + 1);
            case TOMBSTONE -> m.tombstone();
            case SET -> m.withSettings(settings);
        };
    }
}
