package io.strand.store;

import io.strand.index.StreamCatalog;
import io.strand.index.StreamEntry;
import io.strand.log.CommitLog;
import io.strand.log.LogSlice;
import io.strand.log.RecordDescriptor;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Which records a replicated entry left in the log: after a restart, the log's last Raft entry
 * may hold only some of its commands (a crash while they were applied), and the cluster asks which.
 */
final class RaftEntryRecords {
    private RaftEntryRecords() {
    }

    /**
     * Whether {@code stream}'s newest records include event {@code id} written by Raft entry
     * {@code raftIndex}, the log's last entry. Walks back from the stream's last version while its
     * records carry that entry's index: they are the stream's newest, as the entry is the log's last.
     */
    static boolean holds(CommitLog log, StreamCatalog catalog, String stream, UUID id, long raftIndex) {
        byte[] name = stream.getBytes(StandardCharsets.UTF_8);
        StreamEntry s = catalog.get(name);
        if (s == null) {
            return false;
        }
        for (long v = s.assigned() - 1; v >= 0; v--) {
            long p = s.position(v);
            if (p < 0 || p >= log.committedPosition()) {
                return false;
            }
            try (LogSlice slice = log.readRecord(p)) {
                if (slice == null || RecordDescriptor.raftIndex(slice.buffer(), 0) != raftIndex) {
                    return false;
                }
                if (RecordCodec.sameId(slice.buffer(), 0, name, id.getMostSignificantBits(), id.getLeastSignificantBits())) {
                    return true;
                }
            }
        }
        return false;
    }
}
