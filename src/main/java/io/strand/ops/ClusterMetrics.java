package io.strand.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.strand.cluster.ClusterStatus;
import io.strand.cluster.Peer;
import io.strand.cluster.RaftNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.function.ToDoubleFunction;

/**
 * The Raft member's figures, registered only when replication is on: term, commit and applied
 * index, apply lag, leader changes, whether this node leads, and on the leader each follower's lag
 * ({@code strand_cluster_follower_lag{follower="n2"}}). Each scrape asks Ratis once per meter (cheap reads).
 */
@ApplicationScoped
public class ClusterMetrics {
    private final StorageLifecycle storage;

    ClusterMetrics(StorageLifecycle storage) {
        this.storage = storage;
    }

    void register(@Observes StartupEvent event, MeterRegistry registry, StrandConfig config) {
        if (!config.cluster().enabled()) {
            return;
        }
        gauge(registry, "strand.cluster.term", "the Raft term this node is in", ClusterStatus::term);
        gauge(registry, "strand.cluster.commit.index", "the Raft log index the group has committed", ClusterStatus::commitIndex);
        gauge(registry, "strand.cluster.applied.index", "the Raft log index this node has applied", ClusterStatus::appliedIndex);
        gauge(registry, "strand.cluster.apply.lag", "committed Raft entries not yet applied here", ClusterStatus::applyLag);
        gauge(registry, "strand.cluster.leader", "1 while this node is the leader", s -> ClusterStatus.LEADER.equals(s.role()) ? 1 : 0);
        FunctionCounter.builder("strand.cluster.leader.changes", this, m -> status(ClusterStatus::leaderChanges))
                .description("leader changes this node has seen").register(registry);
        String self = config.cluster().nodeId().orElse("");
        for (Peer p : io.strand.cluster.Peer.parseList(config.cluster().peers().orElse(""))) {
            if (!p.id().equals(self)) {
                Gauge.builder("strand.cluster.follower.lag", this, m -> status(s -> s.followerLag().getOrDefault(p.id(), 0L)))
                        .description("on the leader: Raft entries a follower's commit index is behind the leader's (0 elsewhere)")
                        .tag("follower", p.id()).register(registry);
            }
        }
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<ClusterStatus> f) {
        Gauge.builder(name, this, m -> status(f)).description(description).register(registry);
    }

    private double status(ToDoubleFunction<ClusterStatus> f) {
        RaftNode node = storage.clusterOrNull();
        return node == null ? Double.NaN : f.applyAsDouble(node.status());
    }
}
