package io.strand.index;

import io.strand.log.RecordDescriptor;

/**
 * Layout of the in-memory slot that packs a record's log position with a fingerprint of its event
 * id into one {@code long} ({@link StreamEntry}'s versions, {@link DedupIndex}'s tables); the only
 * code that shifts positions in and out of it. Record positions are multiples of
 * {@link RecordDescriptor#ALIGNMENT}, so their low {@link RecordDescriptor#ALIGNMENT_SHIFT} bits
 * are zero and are not stored:
 *
 * <pre>
 *   63                                    fingerprintBits                 0
 *  +------------------------------------------+----------------------------+
 *  |  position >>> ALIGNMENT_SHIFT            |  fingerprint               |
 *  +------------------------------------------+----------------------------+
 * </pre>
 *
 * With {@code fingerprintBits} bits of fingerprint, positions up to
 * {@code 2^(64 - fingerprintBits + ALIGNMENT_SHIFT)} fit (2^48 for StreamEntry's 19 bits).
 */
final class PositionSlotDescriptor {
    private static final int SHIFT = RecordDescriptor.ALIGNMENT_SHIFT;

    private PositionSlotDescriptor() {
    }

    /** The slot for {@code position} (a record boundary) and a fingerprint below {@code 2^fingerprintBits}. */
    static long pack(long position, long fingerprint, int fingerprintBits) {
        return ((position >>> SHIFT) << fingerprintBits) | fingerprint;
    }

    /** The log position a slot holds. */
    static long position(long slot, int fingerprintBits) {
        return (slot >>> fingerprintBits) << SHIFT;
    }

    /** The fingerprint a slot holds. */
    static long fingerprint(long slot, int fingerprintBits) {
        return slot & ((1L << fingerprintBits) - 1);
    }
}
