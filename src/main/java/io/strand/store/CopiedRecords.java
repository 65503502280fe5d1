package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.LogSlice;
import io.strand.log.RecordDescriptor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.zip.CRC32C;

/**
 * Applies records copied from another replica's CommitLog (raw committed bytes, as {@code GET /log}
 * sends them) to this one: a follower behind the leader's Raft purge point catches up this way.
 *
 * <p>The records are not written as raw bytes: each is verified (framing and CRC-32C), the batches
 * are regrouped ({@link RecordDescriptor#FLAG_BATCH_CONTINUES}) and applied again through the same
 * path as a replicated append ({@link Appender#applyInOrder}, with the record's own timestamp and
 * Raft index), and {@code $groups} records through {@link ConsumerGroups}. So there is one write path,
 * every copied record is checked before it lands, and the stream index, the repeat index and the
 * group positions are rebuilt the ordinary way. The log being deterministic, the result is the same
 * bytes as the source's; that is checked after each copy (read back and compared), so a replica that
 * would diverge (another segment size, a different history) stops instead.
 *
 * <p>Not thread-safe: called on the one thread that applies replicated entries (or while it waits).
 */
final class CopiedRecords {
    private final CommitLog log;
    private final Appender appender;
    private final ConsumerGroups groups;
    private final StreamLifecycle lifecycle;

    CopiedRecords(CommitLog log, Appender appender, ConsumerGroups groups, StreamLifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.log = log;
        this.appender = appender;
        this.groups = groups;
    }

    /** One atomic batch of the copied bytes, ending at offset {@code end}. */
    private record Batch(int end, String stream, long raftIndex, long timestamp, List<NewEvent> events) {
    }

    /** See {@link Replica#applyCopied(ByteBuffer, long, long)}. */
    Replica.Copied apply(ByteBuffer bytes, long position, long maxRaftIndex) {
        ByteBuffer b = bytes.slice();
        long committed = log.committedPosition();
        if (position != committed || log.writtenPosition() != committed) {
            throw new IllegalArgumentException("copied records must continue this log: position=" + position
                    + ", committed=" + committed + ", written=" + log.writtenPosition());
        }
        List<Batch> batches = new ArrayList<>();
        boolean reachedLimit = batches(b, position, maxRaftIndex, batches);
        if (batches.isEmpty()) {
            return new Replica.Copied(committed, 0, 0, reachedLimit);
        }
        List<CompletableFuture<AppendOutcome>> appended = new ArrayList<>(batches.size());
        List<CompletableFuture<?>> done = new ArrayList<>(batches.size());
        int records = 0;
        for (Batch batch : batches) {
            done.add(applyBatch(batch, appended).toCompletableFuture());
            records += batch.events().size();
        }
        try {
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        int length = batches.get(batches.size() - 1).end();
        checkSameBytes(b, position, appended.get(0).join().position(), length);
        return new Replica.Copied(log.committedPosition(), batches.get(batches.size() - 1).raftIndex(), records,
                reachedLimit);
    }

    private java.util.concurrent.CompletionStage<?> applyBatch(Batch batch, List<CompletableFuture<AppendOutcome>> appended) {
        if (StreamLifecycle.STREAM.equals(batch.stream())) { // stream metadata: rebuilt in memory too
            return lifecycle.applyCopied(batch.events().get(0), event -> {
                CompletableFuture<AppendOutcome> f = appender.applyInOrder(StreamLifecycle.STREAM, List.of(event),
                        ExpectedVersion.ANY, false, false, batch.timestamp(), batch.raftIndex()).toCompletableFuture();
                appended.add(f);
                return f;
            });
        }
        if (!ConsumerGroups.STREAM.equals(batch.stream())) {
            CompletableFuture<AppendOutcome> f = appender.applyInOrder(batch.stream(), batch.events(),
                    ExpectedVersion.ANY, false, false, batch.timestamp(), batch.raftIndex()).toCompletableFuture();
            appended.add(f);
            return f;
        }
        // A group commit (checked by batches()): through the groups, so their positions are rebuilt.
        NewEvent e = batch.events().get(0);
        ByteBuffer data = ByteBuffer.wrap(e.data());
        int format = GroupCommitDescriptor.FORMAT;
        return groups.commit(GroupCommitDescriptor.group(data, format), GroupCommitDescriptor.stream(data, format),
                GroupCommitDescriptor.version(data, format), e.id(), event -> {
                    CompletableFuture<AppendOutcome> f = appender.applyInOrder(ConsumerGroups.STREAM, List.of(event),
                            ExpectedVersion.ANY, false, false, batch.timestamp(), batch.raftIndex()).toCompletableFuture();
                    appended.add(f);
                    return f;
                });
    }

    /**
     * Verifies the records of {@code b} and collects its whole batches up to the first one whose Raft
     * index is beyond {@code maxRaftIndex} (then answers true). A batch cut by the end of the bytes
     * ({@code GET /log} cuts by bytes, not batches) is left for the next copy.
     */
    private static boolean batches(ByteBuffer b, long position, long maxRaftIndex, List<Batch> out) {
        CRC32C crc = new CRC32C();
        ByteBuffer view = b.duplicate();
        int at = 0;
        int start = -1;
        List<NewEvent> events = null;
        String stream = null;
        long raftIndex = 0;
        long timestamp = 0;
        while (at < b.limit()) {
            int code = RecordDescriptor.check(b, view, crc, at, b.limit());
            if (code == RecordDescriptor.EMPTY || code > 0 && RecordDescriptor.isEndOfSegment(b, at)) {
                break; // the rest of the source's segment holds no records
            }
            if (code < 0) {
                throw new IllegalArgumentException("copied record at offset " + at + " of the bytes for position "
                        + position + " fails its check: " + RecordDescriptor.describe(code));
            }
            RecordedEvent r = RecordCodec.decode(b, at, at);
            long index = RecordDescriptor.raftIndex(b, at);
            if (start < 0) {
                if (index > maxRaftIndex) {
                    return true;
                }
                start = at;
                stream = r.stream();
                raftIndex = index;
                timestamp = r.timestamp();
                events = new ArrayList<>();
            } else if (!r.stream().equals(stream) || index != raftIndex) {
                throw new IllegalArgumentException("copied batch at offset " + start + " mixes streams or Raft indexes");
            }
            events.add(new NewEvent(r.id(), r.type(), r.data(), r.metadata(), r.binary()));
            at += code;
            if ((RecordDescriptor.flags(b, at - code) & RecordDescriptor.FLAG_BATCH_CONTINUES) == 0) {
                checkGroupCommit(stream, events, raftIndex);
                out.add(new Batch(at, stream, raftIndex, timestamp, events));
                start = -1;
            }
        }
        return false;
    }

    private static void checkGroupCommit(String stream, List<NewEvent> events, long raftIndex) {
        if (ConsumerGroups.STREAM.equals(stream) && (events.size() != 1
                || GroupCommitDescriptor.check(ByteBuffer.wrap(events.get(0).data())) != GroupCommitDescriptor.FORMAT)) {
            throw new IllegalArgumentException("copied " + ConsumerGroups.STREAM + " batch is not one group commit of"
                    + " format " + GroupCommitDescriptor.FORMAT + ": raftIndex=" + raftIndex);
        }
        if (StreamLifecycle.STREAM.equals(stream)) {
            if (events.size() != 1) {
                throw new IllegalArgumentException("copied " + StreamLifecycle.STREAM + " batch is not one change: raftIndex=" + raftIndex);
            }
            StreamMetadataDescriptor.decode(ByteBuffer.wrap(events.get(0).data())); // throws for bytes that are not metadata
        }
    }

    /**
     * The batches landed at {@code first} ({@code position}, or the next segment's start when the
     * source's segment ended there: {@code GET /log} skips the end-of-segment marker) and are the
     * copied bytes exactly; otherwise this replica diverged from the source.
     */
    private void checkSameBytes(ByteBuffer b, long position, long first, int length) {
        long segmentSize = log.config().segmentSize();
        boolean rolled = position % segmentSize != 0 && first == (position / segmentSize + 1) * segmentSize;
        if (first != position && !rolled) {
            throw new IllegalStateException("copied records landed at " + first + ", not at " + position
                    + ": this replica's log diverged from the one it copies");
        }
        boolean same;
        try (LogSlice s = log.read(first, length)) {
            same = s != null && s.length() == length && log.writtenPosition() == first + length
                    && s.buffer().equals(b.slice(0, length));
        }
        if (!same) {
            throw new IllegalStateException("the copied records were written as other bytes at " + first + " (length "
                    + length + "): this replica's log diverged from the one it copies (same segment size everywhere?)");
        }
    }
}
