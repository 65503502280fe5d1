package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Appends straight into the mapped segment (RocketMQ's default mode): the copy into the page cache
 * is the commit, so {@link #publish} advances the committed position itself and no commit thread
 * runs. A page fault or a segment roll may stall the appender, which is why the HTTP layer calls
 * this path from a worker thread, never from an event loop.
 *
 * <p>Owns the writer's reference to the current segment. Handed a segment source
 * ({@link Segments#retainForWrite}), the {@link CommittedPosition} to advance and the
 * {@link CommitNotifier} to tell, not the log. Not thread-safe: used under the append lock, except
 * {@link #signal()}, which runs after it. The bytes are copied into the mapping before
 * {@link #publish} stores the committed position (the release readers' acquire loads pair with).
 */
final class MappedWritePath implements WritePath {
    private final Segments segments;
    private final CommittedPosition committed;
    private final CommitNotifier notifier;
    private Segment current;
    private ByteBuffer crcView;
    private long position;

    MappedWritePath(Segments segments, CommittedPosition committed, CommitNotifier notifier, long tail) {
        this.segments = segments;
        this.committed = committed;
        this.notifier = notifier;
        this.position = tail;
    }

    @Override
    public boolean reserve(int length) throws IOException {
        if (current == null || !current.contains(position)) {
            roll();
        }
        long segmentEnd = current.endPosition();
        if (length > segmentEnd - position) {
            RecordDescriptor.encodeEndOfSegment(current.buffer(), offset(), (int) (segmentEnd - position));
            position = segmentEnd;
            roll();
        }
        return true;
    }

    private void roll() throws IOException {
        Segment next = segments.retainForWrite(position);
        if (current != null) {
            current.release();
        }
        current = next;
        crcView = next.buffer().duplicate();
    }

    private int offset() {
        return (int) (position - current.basePosition());
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public ByteBuffer target() {
        return current.buffer();
    }

    @Override
    public int targetOffset() {
        return offset();
    }

    @Override
    public ByteBuffer crcView() {
        return crcView;
    }

    @Override
    public void publish(long endPosition) {
        position = endPosition;
        committed.advance(endPosition);
    }

    @Override
    public WaiterRing commitWaiters() {
        return null;
    }

    @Override
    public void signal() {
        notifier.afterCommit();
    }

    @Override
    public void drain() {
        // Every publish committed already.
    }

    @Override
    public void close() {
        if (current != null) {
            current.release();
            current = null;
        }
    }
}
