package io.strand.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.strand.ops.StorageLifecycle;
import io.strand.store.Direction;
import io.strand.store.EventStore;
import io.strand.store.EventView;
import io.strand.store.StreamInfo;
import io.strand.store.StreamPage;
import io.strand.store.ViewPage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

/**
 * Reads: a stream's page, one event, {@code $all} by position, the stream list. Pages are read on
 * a read thread as views of the mapped log; JSON and NDJSON copy them into the response, the binary
 * format hands the mapped records themselves to Netty (a composite buffer) and releases them once
 * written. Pages touched on the read thread are resident when the event loop writes them.
 */
final class ReadHandler {
    private final StorageLifecycle storage;
    private final Executor readers;
    private final int maxPage;

    ReadHandler(StorageLifecycle storage, Executor readers, int maxPage) {
        this.storage = storage;
        this.readers = readers;
        this.maxPage = maxPage;
    }

    /** {@code GET /streams/{stream}?from=&limit=&direction=}. */
    void streamPage(RoutingContext ctx) {
        try {
            String stream = ctx.pathParam("stream");
            AppendHandler.checkName(stream);
            EventStore store = Http.store(storage);
            Direction direction = direction(ctx);
            long from = Params.number(ctx, "from", direction == Direction.FORWARD ? 0 : -1);
            int limit = Params.limit(ctx, maxPage);
            String as = Params.accept(ctx, Http.NDJSON, Http.OCTETS, Http.JSON);
            Http.offLoop(ctx, readers, () -> page(store.readStreamViews(stream, from, limit, direction), as,
                    next -> "/streams/" + stream + "?from=" + next + "&limit=" + limit
                            + (direction == Direction.BACKWARD ? "&direction=backward" : "")));
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    /** {@code GET /all?from=&limit=}. */
    void allPage(RoutingContext ctx) {
        try {
            EventStore store = Http.store(storage);
            long from = Params.number(ctx, "from", 0);
            int limit = Params.limit(ctx, maxPage);
            String as = Params.accept(ctx, Http.NDJSON, Http.OCTETS, Http.JSON);
            Http.offLoop(ctx, readers, () -> page(store.readAllViews(from, limit), as,
                    next -> "/all?from=" + next + "&limit=" + limit));
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    /** {@code GET /streams/{stream}/{version}}: the event as JSON, or its data bytes. */
    void event(RoutingContext ctx) {
        try {
            String stream = ctx.pathParam("stream");
            AppendHandler.checkName(stream);
            EventStore store = Http.store(storage);
            long version = Params.parse(ctx.pathParam("version"), "the version");
            boolean raw = Params.accept(ctx, Http.OCTETS, Http.JSON).equals(Http.OCTETS);
            Http.offLoop(ctx, readers, () -> {
                EventView v = store.readEventView(stream, version);
                try {
                    if (raw) {
                        ByteBuffer data = touch(v.data());
                        return new Http.Reply(200, Http.OCTETS, Unpooled.wrappedBuffer(data), v::close)
                                .header("Event-Type", v.type())
                                .header("Event-Id", v.id().toString())
                                .header("Event-Version", Long.toString(v.version()))
                                .header("Event-Position", Long.toString(v.position()));
                    }
                    ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer(256 + v.data().remaining() * 4 / 3);
                    EventJson.write(out, v);
                    v.close();
                    return new Http.Reply(200, Http.JSON, out, null);
                } catch (RuntimeException e) {
                    v.close();
                    throw e;
                }
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    /** {@code GET /streams?from=&limit=}: streams with events, in creation order. */
    void list(RoutingContext ctx) {
        try {
            EventStore store = Http.store(storage);
            StreamPage page = store.listStreams(Params.number(ctx, "from", 0), Params.limit(ctx, maxPage));
            JsonArray streams = new JsonArray();
            for (StreamInfo s : page.streams()) {
                streams.add(new JsonObject().put("name", s.name()).put("firstVersion", s.firstVersion())
                        .put("lastVersion", s.lastVersion()));
            }
            ctx.response().putHeader("Content-Type", Http.JSON)
                    .end(new JsonObject().put("streams", streams).put("next", page.next() < 0 ? null : page.next()).toBuffer());
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    private static Direction direction(RoutingContext ctx) {
        String d = ctx.request().getParam("direction");
        if (d == null || d.equals("forward")) {
            return Direction.FORWARD;
        }
        if (d.equals("backward")) {
            return Direction.BACKWARD;
        }
        throw Problem.badRequest("query parameter direction must be forward or backward: " + EventParser.abbreviate(d));
    }

    /** The page in the asked format; the views are closed when the reply has been written (or now). */
    private static Http.Reply page(ViewPage page, String as, java.util.function.LongFunction<String> link) {
        try {
            Http.Reply reply;
            if (as.equals(Http.OCTETS)) {
                reply = new Http.Reply(200, Http.OCTETS, binary(page), page::close);
            } else {
                ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer(256 * Math.max(1, page.size()));
                if (as.equals(Http.NDJSON)) {
                    for (EventView v : page.events()) {
                        EventJson.write(out, v);
                        out.writeByte('\n');
                    }
                } else {
                    EventJson.ascii(out, "{\"events\":[");
                    boolean first = true;
                    for (EventView v : page.events()) {
                        if (!first) {
                            out.writeByte(',');
                        }
                        first = false;
                        EventJson.write(out, v);
                    }
                    EventJson.ascii(out, "],\"next\":" + (page.next() < 0 ? "null" : Long.toString(page.next())) + "}");
                }
                page.close();
                reply = new Http.Reply(200, as, out, null);
            }
            if (page.next() >= 0) {
                reply.header("Strand-Next", Long.toString(page.next()))
                        .header("Link", "<" + link.apply(page.next()) + ">; rel=\"next\"");
            }
            return reply;
        } catch (RuntimeException e) {
            page.close();
            throw e;
        }
    }

    /**
     * The binary page format (docs/FORMAT.md): per event {@code u32 record length, i64 position} then
     * the record as stored in the log. The 12-byte headers share one small buffer; the records are
     * the mapped bytes themselves.
     */
    static ByteBuf binary(ViewPage page) {
        int n = page.size();
        CompositeByteBuf out = ByteBufAllocator.DEFAULT.compositeDirectBuffer(Math.max(2, n * 2));
        ByteBuf headers = ByteBufAllocator.DEFAULT.directBuffer(Math.max(1, n * 12));
        for (EventView v : page.events()) {
            ByteBuffer record = touch(v.record());
            int at = headers.writerIndex();
            headers.writeIntLE(record.remaining()).writeLongLE(v.position());
            out.addComponent(true, headers.retainedSlice(at, 12));
            out.addComponent(true, Unpooled.wrappedBuffer(record));
        }
        headers.release();
        return out;
    }

    /** Reads one byte per page so the event loop will not fault on it; returns {@code b}. */
    static ByteBuffer touch(ByteBuffer b) {
        int sum = 0;
        for (int i = b.position(); i < b.limit(); i += 4096) {
            sum += b.get(i);
        }
        if (b.hasRemaining()) {
            sum += b.get(b.limit() - 1);
        }
        SINK = sum;
        return b;
    }

    @SuppressWarnings("unused")
    private static volatile int SINK;
}
