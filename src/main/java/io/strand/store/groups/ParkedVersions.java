package io.strand.store.groups;

import java.util.UUID;

/**
 * The parked events not yet replayed, ascending by the version of the group's stream that records
 * each (they are appended in order), with each one's offset and event id, so that a carry-forward
 * ({@link GroupCarry}) can record them again without reading the log: 32 bytes each, no boxing, so
 * 100,000 parked events cost 3.2 MB.
 */
final class ParkedVersions {
    private static final int STRIDE = 4; // version, offset, id msb, id lsb
    private long[] slots = new long[16 * STRIDE];
    private int start;
    private int end;

    void add(long version, long offset, UUID id) {
        if (end == slots.length / STRIDE) {
            int n = end - start;
            long[] grown = n * 2 > slots.length / STRIDE ? new long[slots.length * 2] : slots;
            System.arraycopy(slots, start * STRIDE, grown, 0, n * STRIDE);
            slots = grown;
            start = 0;
            end = n;
        }
        int at = end++ * STRIDE;
        slots[at] = version;
        slots[at + 1] = offset;
        slots[at + 2] = id.getMostSignificantBits();
        slots[at + 3] = id.getLeastSignificantBits();
    }

    int size() {
        return end - start;
    }

    /** The version of the {@code i}-th parked event (0: the first). */
    long version(int i) {
        return slots[(start + i) * STRIDE];
    }

    long offset(int i) {
        return slots[(start + i) * STRIDE + 1];
    }

    UUID id(int i) {
        int at = (start + i) * STRIDE;
        return new UUID(slots[at + 2], slots[at + 3]);
    }

    /** Forgets the versions up to {@code through}: those parked events were replayed. */
    void removeThrough(long through) {
        int lo = start;
        int hi = end;
        while (lo < hi) { // the first slot above through
            int mid = (lo + hi) >>> 1;
            if (slots[mid * STRIDE] <= through) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        start = lo;
        if (start == end) {
            start = end = 0;
        }
    }

    void clear() {
        start = end = 0;
    }
}
