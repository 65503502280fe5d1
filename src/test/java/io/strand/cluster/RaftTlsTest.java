package io.strand.cluster;

import io.strand.store.AppendOutcome;
import io.strand.store.ExpectedVersion;
import io.strand.testsupport.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.strand.cluster.TestCluster.append;
import static io.strand.cluster.TestCluster.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Mutual TLS on the Raft traffic over real sockets: members with certificates the trusted CA signed
 * replicate as before; a member whose certificate another CA signed is refused by the others (it
 * neither receives entries nor can take part), though it reaches their Raft ports.
 */
class RaftTlsTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final TestCluster cluster = new TestCluster();

    private static ClusterConfig withTls(ClusterConfig c, TestCertificates tls) {
        return new ClusterConfig(c.nodeId(), c.peers(), c.raftDir(), c.electionTimeout(), c.requestTimeout(),
                c.snapshotThreshold(), c.snapshotBytes(), c.purgeUpToSnapshot(), c.purgeGap(), c.readyMaxLag(), c.maxEntryBytes(), null, null,
                new RaftTls(tls.keyPem, tls.certPem, tls.certPem));
    }

    @Test
    void membersWithTrustedCertificatesReplicate() throws Exception {
        TestCertificates ca = TestCertificates.create(dir.resolve("tls"));
        for (ClusterConfig c : ReplicaNode.configs(dir, 3, Duration.ofSeconds(10), 100_000)) {
            cluster.nodes.add(ReplicaNode.start(withTls(c, ca)));
        }
        cluster.awaitLeader();
        AppendOutcome first = append(cluster.follower(), "tls-1", ExpectedVersion.NO_STREAM, event(UUID.randomUUID(), "a"));
        assertEquals(0, first.firstVersion());
        append(cluster.nodes.get(0), "tls-1", ExpectedVersion.ANY, event(UUID.randomUUID(), "b"));
        cluster.awaitSameLogs();
    }

    @Test
    void aMemberWithAnotherCasCertificateIsShutOut() throws Exception {
        TestCertificates ca = TestCertificates.create(dir.resolve("tls"));
        TestCertificates other = TestCertificates.create(dir.resolve("other"));
        List<ClusterConfig> configs = ReplicaNode.configs(dir, 3, Duration.ofSeconds(10), 100_000);
        ReplicaNode n1 = ReplicaNode.start(withTls(configs.get(0), ca));
        ReplicaNode n2 = ReplicaNode.start(withTls(configs.get(1), ca));
        ReplicaNode intruder = ReplicaNode.start(withTls(configs.get(2), other));
        cluster.nodes.addAll(List.of(n1, n2, intruder));
        // n1 and n2 are a majority: they elect a leader and commit without the third
        AppendOutcome done = null;
        for (long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos(); done == null; ) {
            try {
                done = append(n1, "tls-2", ExpectedVersion.ANY, event(UUID.randomUUID(), "a"));
            } catch (java.util.concurrent.ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        assertEquals(0, done.firstVersion());
        Thread.sleep(3000); // time enough for it to have been sent anything
        assertThrows(io.strand.store.StreamNotFoundException.class, () -> intruder.store.streamInfo("tls-2"),
                "the member with a certificate of another CA received nothing");
        assertEquals(0, intruder.raft.status().appliedIndex(), "and applied nothing");
    }
}
