package io.strand.cluster;

import io.strand.log.BatchTooLargeException;
import io.strand.store.AppendOutcome;
import io.strand.store.IdempotencyConflictException;
import io.strand.store.InvalidRequestException;
import io.strand.store.StoreUnavailableException;
import io.strand.store.StreamNotFoundException;
import io.strand.store.StreamTombstonedException;
import io.strand.store.WriteDurability;
import io.strand.store.WrongExpectedVersionException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of an applied entry's answer, sent from the leader's state machine back to the node
 * that took the request (little-endian): 1 byte kind, then for an append (kind 1, or 2 for a
 * re-send) 8 first version, 8 last version, 8 position; for a version conflict (3) 8 expected,
 * 8 current; for a refusal with a message (4 idempotency conflict, 5 invalid request) 2 length and
 * UTF-8 (also 8, a batch larger than one append may be); nothing for a group commit (6) or an entry
 * applied before a restart (7); for an entry of several commands (9) 4 count, then per command 4
 * length and its answer; nothing for a stream change (10), a soft delete of a stream with no events
 * (11) or a change of a tombstoned stream (12); nothing for a system append of a term not its
 * entry's (13: a deposed leader's). Only answers every
 * replica gives alike travel here: a failure of one replica's own log is not an answer.
 */
final class ReplyDescriptor {
    static final byte APPENDED = 1;
    static final byte DUPLICATE = 2;
    static final byte WRONG_EXPECTED_VERSION = 3;
    static final byte IDEMPOTENCY_CONFLICT = 4;
    static final byte INVALID = 5;
    static final byte GROUP_COMMITTED = 6;
    static final byte REPLAYED = 7;
    static final byte TOO_LARGE = 8;
    static final byte SEVERAL = 9;
    static final byte STREAM_CHANGED = 10;
    static final byte STREAM_NOT_FOUND = 11;
    static final byte STREAM_TOMBSTONED = 12;
    static final byte STALE_TERM = 13;

    private ReplyDescriptor() {
    }

    static byte[] appended(AppendOutcome o) {
        return allocate(1 + 24).put(o.duplicate() ? DUPLICATE : APPENDED)
                .putLong(o.firstVersion()).putLong(o.lastVersion()).putLong(o.position()).array();
    }

    static byte[] of(byte kind) {
        return new byte[]{kind};
    }

    /** The answer to an entry of several commands: theirs, in order. */
    static byte[] several(List<byte[]> answers) {
        int size = 1 + 4;
        for (byte[] a : answers) {
            size += 4 + a.length;
        }
        ByteBuffer b = allocate(size).put(SEVERAL).putInt(answers.size());
        for (byte[] a : answers) {
            b.putInt(a.length).put(a);
        }
        return b.array();
    }

    /** The answers of an entry's {@code count} commands: the one answer, or the parts of {@link #several}. */
    static List<ByteBuffer> split(ByteBuffer in, int count) {
        ByteBuffer b = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.get(0) != SEVERAL) {
            if (count != 1) {
                throw new IllegalStateException("one answer for " + count + " commands");
            }
            return List.of(b);
        }
        int n = b.getInt(1);
        if (n != count) {
            throw new IllegalStateException(n + " answers for " + count + " commands");
        }
        List<ByteBuffer> parts = new ArrayList<>(n);
        int at = 5;
        for (int i = 0; i < n; i++) {
            int length = b.getInt(at);
            parts.add(b.slice(at + 4, length).order(ByteOrder.LITTLE_ENDIAN));
            at += 4 + length;
        }
        return parts;
    }

    /** The answer for a refusal every replica makes alike, or null when {@code t} is not one. */
    static byte[] refused(Throwable t) {
        if (t instanceof WrongExpectedVersionException w) {
            return allocate(1 + 16).put(WRONG_EXPECTED_VERSION).putLong(w.expected()).putLong(w.current()).array();
        }
        if (t instanceof IdempotencyConflictException) {
            return message(IDEMPOTENCY_CONFLICT, t.getMessage());
        }
        if (t instanceof InvalidRequestException) {
            return message(INVALID, t.getMessage());
        }
        if (t instanceof StreamNotFoundException) {
            return of(STREAM_NOT_FOUND);
        }
        if (t instanceof StreamTombstonedException) {
            return of(STREAM_TOMBSTONED);
        }
        if (t instanceof BatchTooLargeException) { // every replica has the same limits
            return message(TOO_LARGE, t.getMessage());
        }
        return null;
    }

    /**
     * The append's outcome on {@code stream}, or throws the refusal it carries. An entry replayed at
     * a restart has no outcome (no client waits for it): that answer is an {@link IllegalStateException}.
     */
    static AppendOutcome outcome(ByteBuffer in, String stream, WriteDurability durability) {
        ByteBuffer b = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        byte kind = b.get();
        switch (kind) {
            case APPENDED, DUPLICATE -> {
                return AppendOutcome.of(stream, b.getLong(), b.getLong(), b.getLong(), durability, kind == DUPLICATE);
            }
            case WRONG_EXPECTED_VERSION -> throw new WrongExpectedVersionException(stream, b.getLong(), b.getLong());
            case IDEMPOTENCY_CONFLICT -> throw new IdempotencyConflictException(message(b));
            case INVALID -> throw new InvalidRequestException(message(b));
            case TOO_LARGE -> throw new BatchTooLargeException(message(b));
            case GROUP_COMMITTED, STREAM_CHANGED -> {
                return null;
            }
            case STREAM_NOT_FOUND -> throw new StreamNotFoundException(stream);
            case STREAM_TOMBSTONED -> throw new StreamTombstonedException(stream);
            case STALE_TERM -> throw new StoreUnavailableException("refused: " + stream + " is written by the leader"
                    + " of a later term now; retry", 1);
            default -> throw new IllegalStateException("no outcome in the answer: kind " + kind);
        }
    }

    private static byte[] message(byte kind, String message) {
        byte[] text = String.valueOf(message).getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, 0xFFFF);
        return allocate(1 + 2 + length).put(kind).putShort((short) length).put(text, 0, length).array();
    }

    private static String message(ByteBuffer b) {
        byte[] text = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(text);
        return new String(text, StandardCharsets.UTF_8);
    }

    private static ByteBuffer allocate(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
