package io.strand.cluster;

import io.strand.log.LogRange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A leader's snapshot and log read in the same JVM, as its HTTP API serves them: the snapshot from
 * its status ({@code GET /cluster}), and for {@code GET /log} the same checks and the same range of
 * the segment file that the handler sends with sendfile. Counts what it served.
 */
final class InProcessLeaderLog implements LeaderLog {
    private final ReplicaNode node;
    final AtomicLong chunks = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();

    InProcessLeaderLog(ReplicaNode node) {
        this.node = node;
    }

    @Override
    public SnapshotFile snapshot() throws IOException {
        RaftNode raft = node.raft;
        if (raft == null) {
            throw new IOException(node.config.nodeId() + " is down");
        }
        return raft.status().snapshot();
    }

    @Override
    public Chunk read(long from, int maxBytes) throws IOException {
        if (node.store == null) {
            throw new IOException(node.config.nodeId() + " is down");
        }
        long start = from == 0 ? node.log.firstPosition() : from;
        node.store.checkRecordBoundary(start);
        LogRange r = node.log.range(start, maxBytes);
        ByteBuffer out = ByteBuffer.allocate(r.length());
        if (r.length() > 0) {
            try (FileChannel ch = FileChannel.open(r.file(), StandardOpenOption.READ)) {
                while (out.hasRemaining()) {
                    if (ch.read(out, r.fileOffset() + out.position()) < 0) {
                        throw new IOException("segment file shorter than its range: " + r);
                    }
                }
            }
        }
        chunks.incrementAndGet();
        bytes.addAndGet(r.length());
        return new Chunk(out.flip(), r.nextPosition());
    }
}
