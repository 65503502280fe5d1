package io.strand.store;

import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;
import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.EventRecord;
import io.strand.log.LogSlice;
import io.strand.log.PositionNotHeldException;
import io.strand.log.RecordDescriptor;

import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.LongPredicate;

/**
 * Finds whether an append re-sends events already appended to its stream (idempotent re-sends):
 * each id is looked up in the stream's index ({@link StreamIndex#find}: fingerprints, then the
 * dedup index), and a fingerprint match is only a candidate, confirmed by reading its record.
 *
 * <p>Two instances, chosen once per append by the caller: one reads candidates on the calling
 * thread, the other does not read the log at all (for event loops) and answers
 * {@link Repeat.Retry} with no stage when it found candidates, so the append runs again where reads
 * may run. A candidate that is not committed yet (the stream's in-flight append) answers
 * {@link Repeat.Retry} with that append's stage.
 *
 * <p>Thread-safe (no mutable fields; the per-append probe is a local). Apart from
 * {@link Appender} because it is the one part of an append that reads the log, and its outcomes
 * are many.
 */
final class RepeatDetector implements RepeatCheck {
    private final CommitLog log;
    private final StreamIndex index;
    private final boolean readCandidates;
    /** Records written before this (epoch ms) are not repeats: the replicated window (see {@link #replicated}). */
    private final long notBeforeMillis;

    RepeatDetector(CommitLog log, StreamIndex index, boolean readCandidates) {
        this(log, index, readCandidates, Long.MIN_VALUE);
    }

    private RepeatDetector(CommitLog log, StreamIndex index, boolean readCandidates, long notBeforeMillis) {
        this.log = log;
        this.index = index;
        this.readCandidates = readCandidates;
        this.notBeforeMillis = notBeforeMillis;
    }

    /**
     * The check of a replicated apply at time {@code nowMillis} (the entry's timestamp): an id counts
     * as a repeat only when its record is at most {@code windowMillis} older. Every replica's dedup
     * index holds at least the window before its last record's timestamp, but older ids only by
     * chance (its generations depend on when it last restarted): without this bound a re-send just past
     * the window could be a duplicate on one replica and an append on another.
     */
    static RepeatDetector replicated(CommitLog log, StreamIndex index, long nowMillis, long windowMillis) {
        return new RepeatDetector(log, index, true, nowMillis - windowMillis);
    }

    /**
     * What the check saw of one append: each id's fingerprint-matching positions are passed here.
     * One per checked append, shared by its ids (no allocation per id).
     */
    private final class Probe implements LongPredicate {
        final long committed;
        final CompletionStage<?> inFlight;
        EventRecord record;
        /** A candidate not committed yet: maybe ours, in flight. Wait for it, then run again. */
        CompletionStage<?> waitFor;
        /** A committed candidate was seen and not read: run again where reads may run. */
        boolean deferred;

        Probe(CompletionStage<?> inFlight, long committed) {
            this.inFlight = inFlight;
            this.committed = committed;
        }

        @Override
        public boolean test(long p) {
            if (p >= committed) {
                if (inFlight != null) {
                    waitFor = inFlight;
                }
                return false;
            }
            if (!readCandidates) {
                deferred = true;
                return false;
            }
            return isEvent(p, record);
        }
    }

    @Override
    public Repeat check(StreamEntry s, String stream, EventRecord[] records, Durability durability) {
        CompletionStage<?> inFlight = s.inFlight();
        // Read after inFlight: with none in flight, every position of s is below it.
        Probe probe = new Probe(inFlight, log.committedPosition());
        long[] found = null;
        int matches = 0;
        for (int i = 0; i < records.length && !probe.deferred; i++) {
            EventRecord r = records[i];
            probe.record = r;
            long p = index.find(s, r.idMsb(), r.idLsb(), probe);
            if (p >= 0) {
                if (found == null) {
                    found = new long[records.length];
                }
                found[i] = p;
                matches++;
            }
        }
        if (probe.waitFor != null) {
            return new Repeat.Retry(probe.waitFor);
        }
        if (probe.deferred) {
            return new Repeat.Retry(null);
        }
        if (matches == 0) {
            return Repeat.FRESH;
        }
        if (matches < records.length) {
            return conflict("the batch mixes " + matches + " event ids already appended to " + stream + " with "
                    + (records.length - matches) + " new ones");
        }
        return original(stream, records, found, durability);
    }

    /** Every id was found: the original outcome when they are this batch, at consecutive versions. */
    private Repeat original(String stream, EventRecord[] records, long[] found, Durability durability) {
        long firstVersion = -1;
        for (int i = 0; i < records.length; i++) {
            try (LogSlice slice = log.readRecord(found[i])) {
                long v = RecordDescriptor.streamVersion(slice.buffer(), 0);
                if (i == 0) {
                    firstVersion = v;
                } else if (v != firstVersion + i) {
                    return conflict("the batch's event ids were appended to " + stream
                            + " in another order or other batches");
                }
                if (!RecordCodec.sameContent(slice.buffer(), 0, records[i])) {
                    return conflict("event id " + new UUID(records[i].idMsb(), records[i].idLsb())
                            + " was appended to " + stream + " with other content");
                }
            }
        }
        EventRecord last = records[records.length - 1];
        long end = found[records.length - 1] + last.framedLength();
        return new Repeat.Duplicate(new AppendOutcome(stream, firstVersion, firstVersion + records.length - 1,
                found[0], durability, true), end);
    }

    private static Repeat conflict(String message) {
        return new Repeat.Conflict(new IdempotencyConflictException(message));
    }

    private boolean isEvent(long position, EventRecord r) {
        if (position < log.firstPosition()) {
            return false; // retention deleted it: no longer a repeat we can see
        }
        try (LogSlice slice = log.readRecord(position)) {
            return slice != null && RecordCodec.sameId(slice.buffer(), 0, r.stream(), r.idMsb(), r.idLsb())
                    && RecordDescriptor.timestamp(slice.buffer(), 0) >= notBeforeMillis;
        } catch (PositionNotHeldException gone) {
            return false; // deleted while we looked
        }
    }
}
