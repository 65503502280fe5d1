package io.strand.http;

import io.strand.cluster.ClusterStatus;
import io.strand.cluster.Peer;
import io.strand.cluster.RaftNode;
import io.strand.ops.StorageLifecycle;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /cluster}: this node's view of the Raft group (404 problem when replication is off). */
final class ClusterHandler {
    private final StorageLifecycle storage;

    ClusterHandler(StorageLifecycle storage) {
        this.storage = storage;
    }

    void handle(RoutingContext ctx) {
        try {
            if (!storage.clustered()) {
                throw new Problem(404, "cluster-disabled", "Not found",
                        "replication is off on this node (strand.cluster.enabled=false): it is a single node");
            }
            RaftNode node = storage.clusterOrNull();
            if (node == null) {
                throw Problem.unavailable("this node is starting: it has not joined the cluster yet", 2);
            }
            ctx.response().putHeader("Content-Type", Http.JSON).end(json(node.status()).toBuffer());
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    static JsonObject json(ClusterStatus s) {
        JsonArray peers = new JsonArray();
        for (Peer p : s.peers()) {
            peers.add(new JsonObject().put("id", p.id()).put("raftAddress", p.raftAddress())
                    .put("httpAddress", p.httpAddress()));
        }
        return new JsonObject()
                .put("nodeId", s.nodeId())
                .put("role", s.role())
                .put("leader", s.leader())
                .put("term", s.term())
                .put("commitIndex", s.commitIndex())
                .put("appliedIndex", s.appliedIndex())
                .put("appliedPosition", s.appliedPosition())
                .put("peers", peers);
    }
}
