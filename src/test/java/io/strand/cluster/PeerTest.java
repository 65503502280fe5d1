package io.strand.cluster;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** strand.cluster.peers as the issue spells it, and the mistakes an operator makes in it. */
class PeerTest {
    @Test
    void parsesIdHostRaftPortAndHttpPort() {
        List<Peer> peers = Peer.parseList("n1=127.0.0.1:7101:8101, n2=127.0.0.1:7102:8102,n3=strand-2.strand-headless:7100:8080");
        assertEquals(3, peers.size());
        assertEquals(new Peer("n1", "127.0.0.1", 7101, 8101), peers.get(0));
        assertEquals("strand-2.strand-headless:7100", peers.get(2).raftAddress());
        assertEquals("strand-2.strand-headless:8080", peers.get(2).httpAddress());
    }

    @Test
    void refusesWhatCannotFormAGroup() {
        for (String bad : new String[]{"", "n1", "n1=h:1", "n1=h:x:2", "n1=h:1:70000", "=h:1:2",
                "n1=h:1:2,n1=g:3:4", "n1=h:1:2,n2=h:1:3", "n/1=h:1:2"}) {
            assertThrows(IllegalArgumentException.class, () -> Peer.parseList(bad), bad);
        }
    }

    @Test
    void theNodeIdMustBeAmongThePeers() {
        List<Peer> peers = Peer.parseList("n1=127.0.0.1:7101:8101");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClusterConfig("n9", peers,
                Path.of("raft"), Duration.ofSeconds(1), Duration.ofSeconds(5), 10, false, 1, 1, 1024));
        assertTrue(e.getMessage().contains("n9"), e.getMessage());
    }
}
