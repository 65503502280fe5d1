package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Appends straight into the mapped segment (RocketMQ's default mode): the copy into the page cache
 * is the commit, so {@link #publish} advances the committed position itself and no commit thread
 * runs. A page fault or a segment roll may stall the appender, which is why the HTTP layer calls
 * this path from a worker thread, never from an event loop. Not thread-safe: used under the
 * append lock.
 */
final class MappedWritePath implements WritePath {
    private final CommitLog log;
    private final Segments segments;
    private Segment current;
    private ByteBuffer crcView;
    private long position;

    MappedWritePath(CommitLog log, Segments segments, long tail) {
        this.log = log;
        this.segments = segments;
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
        log.advanceCommitted(endPosition);
    }

    @Override
    public WaiterRing commitWaiters() {
        return null;
    }

    @Override
    public void signal() {
        log.afterCommit();
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
