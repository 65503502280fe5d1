package io.strand.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.strand.ops.StorageLifecycle;
import io.strand.store.Direction;
import io.strand.store.EventFilter;
import io.strand.store.EventStore;
import io.strand.store.EventView;
import io.strand.store.MappedBytes;
import io.strand.store.PositionPage;
import io.strand.store.RawLog;
import io.strand.store.StreamInfo;
import io.strand.store.StreamPage;
import io.strand.store.ViewPage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.LongFunction;

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
            RawLog log = Http.storage(storage).rawLog();
            Direction direction = direction(ctx);
            long from = Params.number(ctx, "from", -1); // omitted: the first retained event (backward: the last)
            long fromTime = Params.fromTime(ctx);
            if (fromTime >= 0 && direction == Direction.BACKWARD) {
                throw Problem.badRequest("fromTime starts a forward read").with("parameter", Params.FROM_TIME);
            }
            int limit = Params.limit(ctx, maxPage);
            String as = Params.accept(ctx, Http.NDJSON, Http.OCTETS, Http.JSON);
            EventFilter filter = Filters.of(ctx);
            String filterQuery = Filters.query(ctx);
            java.util.function.LongFunction<String> link = next -> "/streams/" + stream + "?from=" + next + "&limit=" + limit
                    + (direction == Direction.BACKWARD ? "&direction=backward" : "") + filterQuery;
            Http.offLoop(ctx, readers, () -> {
                long start = fromTime >= 0 ? store.versionAt(stream, fromTime) : from;
                return as.equals(Http.OCTETS)
                        ? binary(log, store.readStreamPositions(stream, start, limit, direction, filter), link)
                        : page(store.readStreamViews(stream, start, limit, direction, filter), as, link);
            });
        } catch (RuntimeException e) {
            Http.problem(ctx, e);
        }
    }

    /** {@code GET /all?from=&limit=}. */
    void allPage(RoutingContext ctx) {
        try {
            EventStore store = Http.store(storage);
            RawLog log = Http.storage(storage).rawLog();
            long from = Params.number(ctx, "from", 0);
            long fromTime = Params.fromTime(ctx);
            int limit = Params.limit(ctx, maxPage);
            String as = Params.accept(ctx, Http.NDJSON, Http.OCTETS, Http.JSON);
            EventFilter filter = Filters.of(ctx);
            String filterQuery = Filters.query(ctx);
            java.util.function.LongFunction<String> link = next -> "/all?from=" + next + "&limit=" + limit + filterQuery;
            Http.offLoop(ctx, readers, () -> {
                long start = from;
                if (fromTime >= 0) {
                    start = store.positionAt(fromTime); // a record boundary the log found
                } else if (from > 0) {
                    store.checkRecordBoundary(from); // the client's position: 400 when no record starts there
                }
                return as.equals(Http.OCTETS)
                        ? binary(log, store.readAllPositions(start, limit, filter), link)
                        : page(store.readAllViews(start, limit, filter), as, link);
            });
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
            String prefix = ctx.request().getParam("prefix") == null ? "" : ctx.request().getParam("prefix");
            Permissions may = AccessControl.caller(ctx).permissions();
            // A caller sees the names of the streams it may read, no others; the page fills with them.
            StreamPage page = store.listStreams(Params.number(ctx, "from", 0), Params.limit(ctx, maxPage),
                    name -> name.startsWith(prefix) && may.canRead(name));
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

    /** A JSON or NDJSON page; the views are copied into the body and closed. */
    private static Http.Reply page(ViewPage page, String as, LongFunction<String> link) {
        try (page) {
            int size = 64; // sized once from the views: no doubling, no copies
            for (EventView v : page.events()) {
                int data = v.data().remaining();
                size += 320 + v.metadata().remaining() + v.streamBytes().remaining() + v.typeBytes().remaining()
                        + (v.binary() ? (data + 2) / 3 * 4 : data);
            }
            ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer(size);
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
            return next(new Http.Reply(200, as, out, null), page.next(), link);
        }
    }

    private static Http.Reply next(Http.Reply reply, long next, LongFunction<String> link) {
        if (next >= 0) {
            reply.header("Strand-Next", Long.toString(next)).header("Link", "<" + link.apply(next) + ">; rel=\"next\"");
        }
        return reply;
    }

    /**
     * The binary page ({@link BinaryPageDescriptor}): the count and table, then the records as they
     * lie in the log (each padded to 8 bytes). The table is one small direct buffer; the records are
     * the mapped segment bytes themselves, one slice per run of adjacent records (a page of
     * {@code $all} is usually one slice), so serving an event allocates almost nothing on the heap.
     * Each record is verified in place first (CRC-32C over the mapped bytes, which also faults them
     * in); a corrupt one fails the page whole. Segment references are released once the page is written.
     */
    static Http.Reply binary(RawLog log, PositionPage page, LongFunction<String> link) {
        int n = page.count();
        long[] positions = page.positions();
        List<MappedBytes> held = new ArrayList<>(2);
        List<ByteBuf> runs = new ArrayList<>(n);
        List<ByteBuf> wrappers = new ArrayList<>(2);
        RawLog.Verifier verifier = log.verifier();
        ByteBuf table = BinaryPageDescriptor.writeCount(
                ByteBufAllocator.DEFAULT.directBuffer(BinaryPageDescriptor.recordsOffset(n)), n);
        try {
            MappedBytes segment = null;
            ByteBuf wrapped = null;
            int runStart = 0;
            int runEnd = -1;
            for (int i = 0; i < n; i++) {
                long p = positions[i];
                if (segment == null || !segment.contains(p)) {
                    if (runEnd >= 0) {
                        runs.add(wrapped.retainedSlice(runStart, runEnd - runStart));
                        runEnd = -1;
                    }
                    segment = held(log, held, p);
                    wrapped = Unpooled.wrappedBuffer(segment.buffer());
                    wrappers.add(wrapped);
                }
                ByteBuffer b = segment.buffer();
                int offset = (int) (p - segment.position());
                int length = verifier.recordLength(segment, offset); // CRC-32C over the mapped bytes, in place
                int framed = RawLog.framedLength(length);
                BinaryPageDescriptor.writeEntry(table, length, p);
                touch(b, offset, framed); // the padding too: nothing faults on the event loop
                if (offset != runEnd) {
                    if (runEnd >= 0) {
                        runs.add(wrapped.retainedSlice(runStart, runEnd - runStart));
                    }
                    runStart = offset;
                    runEnd = offset;
                }
                runEnd += framed;
            }
            if (runEnd >= 0) {
                runs.add(wrapped.retainedSlice(runStart, runEnd - runStart));
            }
        } catch (RuntimeException e) {
            table.release();
            runs.forEach(ByteBuf::release);
            wrappers.forEach(ByteBuf::release);
            held.forEach(MappedBytes::close);
            throw e;
        }
        // Each run holds its wrapper (retained slice): the composite's release frees them in turn.
        wrappers.forEach(ByteBuf::release);
        // A component's length is fixed when it is added, so the table goes in once complete.
        CompositeByteBuf out = ByteBufAllocator.DEFAULT.compositeDirectBuffer(runs.size() + 1);
        out.addComponent(true, table);
        for (ByteBuf run : runs) {
            out.addComponent(true, run);
        }
        return next(new Http.Reply(200, Http.OCTETS, out, () -> held.forEach(MappedBytes::close)), page.next(), link);
    }

    /** The held segment slice containing {@code p}, retaining it first when it is not held yet. */
    private static MappedBytes held(RawLog log, List<MappedBytes> held, long p) {
        for (MappedBytes s : held) {
            if (s.contains(p)) {
                return s;
            }
        }
        MappedBytes s = log.readSegment(p);
        if (s == null) {
            throw new IllegalStateException("not committed: position=" + p);
        }
        held.add(s);
        return s;
    }

    private static void touch(ByteBuffer b, int offset, int length) {
        int sum = 0;
        for (int i = offset; i < offset + length; i += 4096) {
            sum += b.get(i);
        }
        sum += b.get(offset + length - 1);
        SINK = sum;
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
