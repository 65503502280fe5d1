package io.strand.store;

/**
 * What a stream's metadata says: the client's settings ({@code maxCount}, {@code maxAge} in seconds,
 * {@code truncateBefore}, each null when not set, and {@code custom}, a JSON object's text or null),
 * and the store's own marks: {@code deletedBefore}, the version after the last one a soft delete
 * hid (-1: never deleted), and {@code tombstoned}. A {@code PUT} replaces the settings; the marks
 * stay. Kept whole in every {@code $meta} event, so the newest event of a stream is its metadata.
 */
public record StreamMetadata(Long maxCount, Long maxAge, Long truncateBefore, String custom, long deletedBefore,
                             boolean tombstoned) {
    /** A stream nobody set metadata for. */
    public static final StreamMetadata NONE = new StreamMetadata(null, null, null, null, -1, false);

    /** A client's settings, validated ({@link InvalidRequestException}); no marks. */
    public static StreamMetadata settings(Long maxCount, Long maxAge, Long truncateBefore, String custom) {
        if (maxCount != null && maxCount < 1) {
            throw new InvalidRequestException("maxCount is a number of events, 1 or more: " + maxCount);
        }
        if (maxAge != null && (maxAge < 1 || maxAge > Long.MAX_VALUE / 1000)) {
            throw new InvalidRequestException("maxAge is a number of seconds, 1 or more: " + maxAge);
        }
        if (truncateBefore != null && truncateBefore < 0) {
            throw new InvalidRequestException("truncateBefore is a version, 0 or more: " + truncateBefore);
        }
        return new StreamMetadata(maxCount, maxAge, truncateBefore, custom, -1, false);
    }

    /** Soft-deleted with nothing appended since: the stream's last version is below the delete's mark. */
    public boolean deleted(long lastVersion) {
        return deletedBefore > lastVersion;
    }

    /** The lowest version these settings and marks leave visible without looking at times or the last version. */
    long floor() {
        long floor = Math.max(deletedBefore, 0);
        return truncateBefore == null ? floor : Math.max(floor, truncateBefore);
    }

    /** The first version visible from memory alone (all but maxAge), with {@code held} the first held and {@code last} the last. */
    long firstWithoutAge(long held, long last) {
        long first = Math.max(held, floor());
        return maxCount == null ? first : Math.max(first, last - maxCount + 1);
    }

    StreamMetadata withSettings(StreamMetadata s) {
        return new StreamMetadata(s.maxCount, s.maxAge, s.truncateBefore, s.custom, deletedBefore, tombstoned);
    }

    StreamMetadata deletedBefore(long version) {
        return new StreamMetadata(maxCount, maxAge, truncateBefore, custom, Math.max(deletedBefore, version), tombstoned);
    }

    StreamMetadata tombstone() {
        return new StreamMetadata(maxCount, maxAge, truncateBefore, custom, deletedBefore, true);
    }
}
