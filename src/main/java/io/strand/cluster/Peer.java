package io.strand.cluster;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** One member of the Raft group: its id, the host and port Raft talks to, and its HTTP port. */
public record Peer(String id, String host, int raftPort, int httpPort) {
    public Peer {
        if (id == null || !id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("a peer id is 1-63 letters, digits and ._- : " + id);
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("peer " + id + " has no host");
        }
        checkPort(id, "raft", raftPort);
        checkPort(id, "http", httpPort);
    }

    public String raftAddress() {
        return host + ":" + raftPort;
    }

    public String httpAddress() {
        return host + ":" + httpPort;
    }

    /**
     * Parses {@code strand.cluster.peers}: {@code id=host:raftPort:httpPort} separated by commas,
     * e.g. {@code n1=127.0.0.1:7101:8101,n2=127.0.0.1:7102:8102}. Ids and Raft addresses are unique.
     */
    public static List<Peer> parseList(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("strand.cluster.peers is empty: name every member as id=host:raftPort:httpPort");
        }
        List<Peer> peers = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        Set<String> addresses = new LinkedHashSet<>();
        for (String item : spec.split(",")) {
            Peer p = parse(item.trim());
            if (!ids.add(p.id)) {
                throw new IllegalArgumentException("strand.cluster.peers names " + p.id + " twice");
            }
            if (!addresses.add(p.raftAddress())) {
                throw new IllegalArgumentException("strand.cluster.peers gives " + p.raftAddress() + " to two peers");
            }
            peers.add(p);
        }
        return List.copyOf(peers);
    }

    static Peer parse(String item) {
        int eq = item.indexOf('=');
        String[] parts = eq < 0 ? new String[0] : item.substring(eq + 1).split(":");
        if (eq <= 0 || parts.length != 3) {
            throw new IllegalArgumentException("a peer is id=host:raftPort:httpPort, got: " + item);
        }
        return new Peer(item.substring(0, eq).trim(), parts[0].trim(), port(item, parts[1]), port(item, parts[2]));
    }

    private static int port(String item, String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a peer's ports are numbers, got: " + item);
        }
    }

    private static void checkPort(String id, String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("peer " + id + " has " + what + " port " + port + ", not 1-65535");
        }
    }
}
