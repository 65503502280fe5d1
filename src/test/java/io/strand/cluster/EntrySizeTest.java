package io.strand.cluster;

import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Raft entry is sized by what a request can carry, not by the log's largest batch: with the
 * pool off that is a whole segment (1 GiB by default), and Ratis's int-sized buffers overflowed
 * (the node did not start).
 */
class EntrySizeTest {
    private static final int SEGMENT_BATCH = (1 << 30) - 16; // pool off: a segment, less its end marker
    private static final int POOL_BATCH = 4 << 20;           // pool on: one 4 MiB buffer
    private static final long BODY = 4L << 20;               // strand.http.max-body-size's default

    @Test
    void anEntryIsBoundByTheRequestBodyAndTheLogsLargestBatch() {
        assertEquals(POOL_BATCH, ClusterConfig.entryBytes(POOL_BATCH, BODY), "pool on: one buffer, as before");
        assertEquals(8 << 20, ClusterConfig.entryBytes(SEGMENT_BATCH, BODY), "pool off: twice the body limit");
        assertEquals(1 << 20, ClusterConfig.entryBytes(1 << 20, BODY), "never more than the log takes in one append");
        assertEquals(ClusterConfig.MAX_ENTRY_BYTES, ClusterConfig.entryBytes(SEGMENT_BATCH, 4L << 30), "capped");
        assertEquals(4 << 20, ClusterConfig.entryBytes(SEGMENT_BATCH, 1024), "at least 4 MiB");
    }

    @Test
    void ratisSettingsFitTheirIntsWithThePoolOff() {
        ClusterConfig config = new ClusterConfig("n1", Peer.parseList("n1=127.0.0.1:7101:8101,n2=127.0.0.1:7102:8102"),
                Path.of("raft"), Duration.ofSeconds(1), Duration.ofSeconds(5), 1000, false, 100, 1000,
                ClusterConfig.entryBytes(SEGMENT_BATCH, BODY));
        RaftProperties server = RaftProps.server(config);
        RaftProperties client = RaftProps.client(config);
        int message = GrpcConfigKeys.messageSizeMax(server, s -> { }).getSizeInt();
        assertEquals(message, GrpcConfigKeys.messageSizeMax(client, s -> { }).getSizeInt());
        assertTrue(message >= 2 * config.maxEntryBytes() && message <= 64 << 20, "message limit " + message);
        long buffer = RaftServerConfigKeys.Log.writeBufferSize(server).getSize();
        assertTrue(buffer > 2L * config.maxEntryBytes() && buffer <= 64 << 20, "the Raft log's write buffer: " + buffer);
        RaftServerConfigKeys.Log.Appender.bufferByteLimit(server).getSizeInt(); // an int, or this throws
    }
}
