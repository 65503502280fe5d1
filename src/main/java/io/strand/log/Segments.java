package io.strand.log;

import java.io.IOException;
import java.util.Arrays;

/**
 * The log's segments in position order, each holding the log's own reference. Because every
 * segment has the same size and bases are multiples of it, the segment of a position is found by
 * arithmetic, not by a search. Copy-on-write: readers index a volatile array without locking;
 * adding (the writer rolling) and removing (retention, close) are synchronized.
 */
final class Segments {
    private final int segmentSize;
    private final SegmentAllocator allocator;
    private volatile Segment[] segments;

    Segments(int segmentSize, Segment[] recovered, SegmentAllocator allocator) {
        this.segmentSize = segmentSize;
        this.segments = recovered;
        this.allocator = allocator;
    }

    long baseOf(long position) {
        return position - position % segmentSize;
    }

    /** First byte still held by the log, i.e. the base of the oldest segment; 0 when there is none. */
    long firstPosition() {
        Segment[] s = segments;
        return s.length == 0 ? 0 : s[0].basePosition();
    }

    /** The segment holding {@code position}, or null when it is not (or no longer) part of the log. */
    Segment find(long position) {
        Segment[] s = segments;
        if (s.length == 0 || position < s[0].basePosition()) {
            return null;
        }
        long index = (position - s[0].basePosition()) / segmentSize;
        return index < s.length ? s[(int) index] : null;
    }

    /** Like {@link #find} but with a reference taken; the caller releases it. Null if gone. */
    Segment retain(long position) {
        for (;;) {
            Segment s = find(position);
            if (s == null) {
                return null;
            }
            if (s.retain()) {
                return s;
            }
            // Released between find and retain: it left the log; look again.
        }
    }

    /**
     * The segment for writing at {@code position}, created through the allocator when the writer
     * rolls into a new one; returned with a reference the writer releases when it moves on.
     */
    synchronized Segment retainForWrite(long position) throws IOException {
        Segment s = find(position);
        if (s == null) {
            long base = baseOf(position);
            Segment[] current = segments;
            if (current.length > 0 && base != current[current.length - 1].endPosition()) {
                throw new LogException("segments would not be contiguous: base=" + base
                        + ", lastEnd=" + current[current.length - 1].endPosition());
            }
            s = allocator.take(base);
            Segment[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = s;
            segments = next;
        }
        if (!s.retain()) {
            throw new LogException("segment closed under the writer: position=" + position);
        }
        return s;
    }

    Segment[] snapshot() {
        return segments;
    }

    int count() {
        return segments.length;
    }

    /**
     * Retention: removes the oldest segments that end at or before {@code position}, never one that
     * ends after {@code keepFrom} (the writer's and the flusher's segments). Their files are unlinked
     * now; each mapping stays valid until its last reader releases it. Returns how many went.
     */
    synchronized int removeBefore(long position, long keepFrom) throws IOException {
        Segment[] current = segments;
        int k = 0;
        while (k < current.length - 1 && current[k].endPosition() <= position && current[k].endPosition() <= keepFrom) {
            k++;
        }
        if (k == 0) {
            return 0;
        }
        segments = Arrays.copyOfRange(current, k, current.length);
        for (int i = 0; i < k; i++) {
            java.nio.file.Files.deleteIfExists(current[i].file());
            current[i].release();
        }
        DirectorySync.sync(current[0].file().getParent());
        return k;
    }

    /** Drops the log's references; segments unmap as soon as the last reader lets go. */
    synchronized void releaseAll() {
        Segment[] s = segments;
        segments = new Segment[0];
        for (Segment segment : s) {
            segment.release();
        }
    }
}
