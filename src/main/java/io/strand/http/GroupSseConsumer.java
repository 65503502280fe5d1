package io.strand.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.strand.store.RecordedEvent;
import io.strand.store.groups.Delivery;
import io.strand.store.groups.GroupConsumer;
import io.strand.store.groups.GroupMember;
import io.strand.store.groups.SharedGroups;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A consumer of a shared group over Server-Sent Events ({@code GET /groups/{g}/events}): each
 * delivery is a frame whose {@code id:} is the event id (what the client acks) and whose data is the
 * event's JSON with {@code "delivery": {"attempt": n}}. The group hands at most {@code maxInFlight}
 * unacked events to a consumer, so that bounds what waits in the connection. Closing the
 * connection detaches the consumer: what it held goes to the others at once.
 */
final class GroupSseConsumer implements GroupConsumer {
    private final String group;
    private final HttpServerResponse response;
    private final Context loop;
    private final SharedGroups groups;
    private long heartbeat = -1;
    private GroupMember member;
    private boolean closed;

    GroupSseConsumer(String group, HttpServerResponse response, Context loop, SharedGroups groups) {
        this.group = group;
        this.response = response;
        this.loop = loop;
        this.groups = groups;
    }

    /** Sends the head and starts the heartbeat; on the event loop. */
    void open(long heartbeatMillis, long retryMillis) {
        SseConnection.head(response, retryMillis, this::close);
        heartbeat = loop.owner().setPeriodic(heartbeatMillis, id -> {
            if (!closed) {
                response.write(": heartbeat\n\n");
            }
        });
    }

    /** The group accepted this consumer (on the event loop). */
    void attached(GroupMember m) {
        member = m;
        if (closed) {
            groups.detach(group, m);
        }
    }

    @Override
    public void deliver(Delivery d) {
        RecordedEvent e = d.event();
        int attempt = d.attempt();
        loop.runOnContext(v -> {
            if (!closed) {
                response.write(Buffer.buffer(frame(e, attempt)));
            }
        });
    }

    @Override
    public void end(String why) {
        loop.runOnContext(v -> {
            if (!closed) {
                Problem p = new Problem(410, "group-ended", "Group consumer ended", why);
                response.write("event: problem\ndata: " + p.toJson().encode() + "\n\n");
                closed = true;
                cancelTimer();
                response.end();
            }
        });
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancelTimer();
        if (member != null) {
            groups.detach(group, member);
        }
    }

    private void cancelTimer() {
        if (heartbeat >= 0) {
            loop.owner().cancelTimer(heartbeat);
            heartbeat = -1;
        }
    }

    /** {@code id: <event id>} and the event's JSON with its delivery attempt. */
    static ByteBuf frame(RecordedEvent e, int attempt) {
        ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer(256 + e.data().length * 4 / 3 + e.metadata().length);
        EventJson.ascii(out, "id: " + e.id() + "\ndata: ");
        writeEvent(out, e);
        EventJson.ascii(out, ",\"delivery\":{\"attempt\":" + attempt + "}}\n\n");
        return out;
    }

    /** The event's JSON (as reads give it) without its closing brace. */
    static void writeEvent(ByteBuf out, RecordedEvent e) {
        EventJson.ascii(out, "{\"stream\":");
        EventJson.string(out, e.stream());
        EventJson.ascii(out, ",\"version\":" + e.version() + ",\"position\":" + e.position() + ",\"id\":\"" + e.id()
                + "\",\"type\":");
        EventJson.string(out, e.type());
        EventJson.ascii(out, ",\"timestamp\":\"" + Instant.ofEpochMilli(e.timestamp()) + "\",\"metadata\":");
        out.writeBytes(e.metadata().length == 0 ? "{}".getBytes(StandardCharsets.US_ASCII) : e.metadata());
        if (e.binary()) {
            EventJson.ascii(out, ",\"dataEncoding\":\"base64\",\"data\":\"");
            out.writeBytes(Base64.getEncoder().encode(e.data()));
            out.writeByte('"');
        } else {
            EventJson.ascii(out, ",\"data\":");
            out.writeBytes(e.data());
        }
    }
}
