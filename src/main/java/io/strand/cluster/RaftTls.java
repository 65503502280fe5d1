package io.strand.cluster;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Mutual TLS on the Raft traffic (Ratis's gRPC between members, and the members' own Raft clients):
 * every member presents its certificate and accepts only peers whose certificate the trusted CA
 * signed, so a process that merely reaches the Raft port can neither append entries nor vote.
 * Ratis has no hook to add a shared secret to its outbound calls, so the secret of the HTTP side is
 * a certificate here.
 *
 * @param privateKey  PEM, PKCS#8 (Netty reads no other; cert-manager: {@code privateKey.encoding: PKCS8})
 * @param certificate PEM, this member's certificate (chain), naming the host of its peer entry
 * @param trust       PEM, the CA certificates a peer's certificate must chain to
 */
public record RaftTls(Path privateKey, Path certificate, Path trust) {
    public RaftTls {
        for (Path p : new Path[] {privateKey, certificate, trust}) {
            if (p == null || !Files.isReadable(p)) {
                throw new IllegalArgumentException("strand.cluster.raft-tls: cannot read " + p
                        + " (private-key, certificate and trust are PEM files, all three needed)");
            }
        }
    }

    /** Ratis parameters with this TLS for the server, admin and client sides. */
    Parameters parameters() {
        GrpcTlsConfig tls = new GrpcTlsConfig(privateKey.toFile(), certificate.toFile(), trust.toFile(), true);
        Parameters p = new Parameters();
        GrpcConfigKeys.Server.setTlsConf(p, tls);
        GrpcConfigKeys.Admin.setTlsConf(p, tls);
        GrpcConfigKeys.Client.setTlsConf(p, tls);
        GrpcConfigKeys.TLS.setConf(p, tls);
        return p;
    }
}
