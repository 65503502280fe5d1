package io.strand.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.strand.store.EventFilter;
import io.strand.store.EventView;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Server-Sent Events response fed by a store subscription of event views.
 *
 * <p>Frames are built on the read thread: a small header ({@code id:}, {@code event:} only when the
 * client asked for typed frames, and the event JSON up to {@code "data":}) followed by the mapped data bytes themselves (JSON data is
 * never copied into the heap) and {@code }\n\n}. The event loop writes them and releases each view
 * once its frame is written. Demand is credit-based: at most {@link #CREDIT} events are requested
 * ahead, and only while the socket's write queue has room, so a slow client costs a read position
 * and at most {@code CREDIT} retained views — never a growing queue. Closing the connection cancels
 * the subscription at once.
 */
final class SseConnection implements Flow.Subscriber<EventView> {
    static final int CREDIT = 64;
    private static final byte[] TAIL = {'}', '\n', '\n'};
    private static final ByteBuf TAIL_BUFFER = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(TAIL));

    private final HttpServerResponse response;
    private final Context loop;
    private final boolean positions;
    private final boolean typed;
    private final long skipPosition;
    private final ConcurrentLinkedQueue<Frame> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private volatile Flow.Subscription subscription;
    private volatile boolean closed;
    private int credit;       // event loop only
    private long heartbeatTimer = -1;

    /** An event's frame (with the view it holds), or a checkpoint's {@code id:}-only frame (view null). */
    private record Frame(ByteBuf bytes, EventView view) {
        void release() {
            try {
                bytes.release();
            } finally {
                if (view != null) {
                    view.close();
                }
            }
        }
    }

    private final EventFilter filter;
    private final int checkpointRecords;
    // Filtered subscriptions: the id of the last record skipped since the last frame queued, and how
    // many; guarded by "pending" so that a checkpoint is queued in log order with the events.
    private long skippedId = -1;
    private int skipped;

    /**
     * @param positions    frames carry log positions as ids ({@code /all}) rather than versions
     * @param typed        frames carry {@code event: <type>} ({@code typed=true}); without it an EventSource's
     *                     {@code onmessage} sees every event, and types such as {@code error} or
     *                     {@code open} cannot reach its own handlers
     * @param skipPosition a position not to send again (the {@code Last-Event-ID} of an {@code /all} resume), or -1
     */
    SseConnection(HttpServerResponse response, Context loop, boolean positions, boolean typed, long skipPosition) {
        this(response, loop, positions, typed, skipPosition, EventFilter.ALL, Integer.MAX_VALUE);
    }

    /**
     * @param filter            events not passing it are not sent; meanwhile an {@code id:}-only frame
     *                          (no data: EventSource records it as Last-Event-ID and dispatches
     *                          nothing) goes out every {@code checkpointRecords} skipped records and
     *                          before each heartbeat, so a reconnect does not scan them again
     */
    SseConnection(HttpServerResponse response, Context loop, boolean positions, boolean typed, long skipPosition,
                  EventFilter filter, int checkpointRecords) {
        this.filter = filter;
        this.checkpointRecords = checkpointRecords;
        this.response = response;
        this.loop = loop;
        this.positions = positions;
        this.typed = typed;
        this.skipPosition = skipPosition;
    }

    /**
     * Sends the head, the reconnect delay ({@code retry:}, so clients come back after a restart
     * sooner than their own default of about 3 s) and starts the heartbeat. On the event loop,
     * before subscribing.
     */
    void open(long heartbeatMillis, long retryMillis) {
        head(response, retryMillis, this::close);
        heartbeatTimer = loop.owner().setPeriodic(heartbeatMillis, id -> {
            if (!closed && !response.writeQueueFull()) {
                boolean queued;
                synchronized (pending) {
                    queued = skippedId >= 0;
                    if (queued) {
                        queueCheckpoint();
                    }
                }
                if (queued) {
                    flush();
                }
                response.write(": heartbeat\n\n");
            }
        });
    }

    /** An event stream's head and first frame ({@code retry:}); {@code close} runs when the client goes or the response fails. */
    static void head(io.vertx.core.http.HttpServerResponse response, long retryMillis, Runnable close) {
        response.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", Http.EVENT_STREAM)
                .putHeader("Cache-Control", "no-cache")
                // Never compressed (a compressor would hold frames back): Quarkus compresses only
                // quarkus.http.compress-media-types, which never include text/event-stream.
                .putHeader("X-Accel-Buffering", "no");
        response.closeHandler(v -> close.run());
        response.exceptionHandler(e -> close.run());
        response.write("retry: " + retryMillis + "\n: connected\n\n");
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (closed) {
            s.cancel();
            return;
        }
        loop.runOnContext(v -> requestMore());
    }

    @Override
    public void onNext(EventView view) {
        if (closed || view.position() == skipPosition) {
            view.close();
            if (!closed) {
                subscription.request(1); // the skipped one does not use the client's credit
            }
            return;
        }
        if (!filter.matches(view)) {
            long id = positions ? view.position() : view.version();
            view.close();
            boolean due;
            synchronized (pending) {
                skippedId = id;
                due = ++skipped >= checkpointRecords;
                if (due) {
                    queueCheckpoint();
                }
            }
            if (due && flushScheduled.compareAndSet(false, true)) {
                loop.runOnContext(v -> flush());
            }
            subscription.request(1); // filtered out: no credit used
            return;
        }
        Frame f;
        try {
            f = new Frame(frame(view), view);
        } catch (RuntimeException e) {
            view.close();
            throw e;
        }
        synchronized (pending) {
            skippedId = -1; // the event's own id supersedes the skipped ones before it
            skipped = 0;
            pending.add(f);
        }
        if (flushScheduled.compareAndSet(false, true)) {
            loop.runOnContext(v -> flush());
        }
    }

    /** Under the "pending" lock: an {@code id:}-only frame for the last record skipped. */
    private void queueCheckpoint() {
        ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(32);
        EventJson.ascii(b, "id: ");
        EventJson.ascii(b, Long.toString(skippedId));
        EventJson.ascii(b, "\n\n");
        pending.add(new Frame(b, null));
        skippedId = -1;
        skipped = 0;
    }

    private ByteBuf frame(EventView v) {
        ByteBuf head = ByteBufAllocator.DEFAULT.directBuffer(256);
        EventJson.ascii(head, "id: ");
        EventJson.ascii(head, Long.toString(positions ? v.position() : v.version()));
        if (typed) {
            EventJson.ascii(head, "\nevent: ");
            head.writeBytes(v.typeBytes());
        }
        EventJson.ascii(head, "\ndata: ");
        EventJson.writeHead(head, v);
        if (v.binary()) {
            EventJson.writeData(head, v);
            head.writeBytes(TAIL);
            return head;
        }
        ByteBuffer data = ReadHandler.touch(v.data());
        CompositeByteBuf frame = ByteBufAllocator.DEFAULT.compositeDirectBuffer(3);
        frame.addComponent(true, head);
        frame.addComponent(true, Unpooled.wrappedBuffer(data));
        frame.addComponent(true, TAIL_BUFFER.retainedDuplicate());
        return frame;
    }

    /** Writes every pending frame as one buffer (one write, one promise), releasing them once written. */
    private void flush() {
        flushScheduled.set(false);
        Frame f = pending.poll();
        if (f == null) {
            requestMore();
            return;
        }
        if (closed) {
            do {
                f.release();
            } while ((f = pending.poll()) != null);
            return;
        }
        java.util.List<EventView> views = new java.util.ArrayList<>();
        CompositeByteBuf batch = ByteBufAllocator.DEFAULT.compositeDirectBuffer(Integer.MAX_VALUE);
        do {
            batch.addComponent(true, f.bytes()); // the batch now owns the frame's bytes
            if (f.view() != null) {
                credit--; // checkpoints were never requested as credit
                views.add(f.view());
            }
        } while ((f = pending.poll()) != null);
        response.write(Buffer.buffer(batch), ar -> {
            batch.release();
            views.forEach(EventView::close);
        });
        requestMore();
    }

    private void requestMore() {
        Flow.Subscription s = subscription;
        if (closed || s == null) {
            return;
        }
        if (response.writeQueueFull()) {
            response.drainHandler(v -> requestMore());
            return;
        }
        if (credit <= CREDIT / 2) {
            int n = CREDIT - credit;
            credit += n;
            s.request(n);
        }
    }

    @Override
    public void onError(Throwable t) {
        loop.runOnContext(v -> {
            if (closed) {
                return;
            }
            Problem p = Problem.of(t);
            response.write("event: problem\ndata: " + p.toJson().encode() + "\n\n");
            end();
        });
    }

    @Override
    public void onComplete() {
        loop.runOnContext(v -> end());
    }

    private void end() {
        if (!closed) {
            flush(); // what was read still goes out, then the stream ends
            closed = true;
            cancelTimer();
            response.end();
        }
    }

    /** The client went away (or the response failed): stop reading now. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancelTimer();
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        Frame f;
        while ((f = pending.poll()) != null) {
            f.release();
        }
    }

    private void cancelTimer() {
        if (heartbeatTimer >= 0) {
            loop.owner().cancelTimer(heartbeatTimer);
            heartbeatTimer = -1;
        }
    }
}
