package io.strand.bench;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The client side of {@link HttpBenchmark}: a closed-loop load generator over the Vert.x HTTP
 * client (a fixed number of requests in flight, each lane sending its next request from the
 * previous one's completion, on the client's event loops), a latency histogram, and streaming
 * parsers for the binary page format and for SSE that never aggregate a body.
 */
final class HttpLoad {
    private HttpLoad() {
    }

    /** An answer: status, the body when it was aggregated (else null). */
    record Reply(int status, Buffer body) {
    }

    interface Request {
        /** Sends request number {@code k}; the future completes when the whole answer has been read. */
        Future<Reply> send(long k);
    }

    // ---------------------------------------------------------------- latency

    /**
     * A log-linear histogram of microseconds (exact below 2,048 us, then 1,024 buckets per power of
     * two: 0.1% resolution), one per recording thread, merged on read. Records only while {@link #on}.
     */
    static final class Latency {
        private static final int LINEAR = 2048;
        private static final int SIZE = LINEAR + 40 * 1024;
        private final List<long[]> all = new CopyOnWriteArrayList<>();
        private final ThreadLocal<long[]> local = ThreadLocal.withInitial(() -> {
            long[] h = new long[SIZE];
            all.add(h);
            return h;
        });
        volatile boolean on;
        /** The slowest answer of each wall-clock second (epoch s), to line stalls up with the servers' logs. */
        private final java.util.concurrent.ConcurrentHashMap<Long, java.util.concurrent.atomic.LongAccumulator> worstPerSecond =
                new java.util.concurrent.ConcurrentHashMap<>();

        void record(long nanos) {
            if (on) {
                local.get()[index(Math.max(0, nanos / 1000))]++;
                worstPerSecond.computeIfAbsent(System.currentTimeMillis() / 1000, k -> new java.util.concurrent.atomic.LongAccumulator(Math::max, 0))
                        .accumulate(nanos);
            }
        }

        /** The {@code n} seconds with the slowest answers, as "HH:mm:ss UTC max ms", slowest first. */
        String worstSeconds(int n) {
            java.time.format.DateTimeFormatter f = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss").withZone(java.time.ZoneOffset.UTC);
            return worstPerSecond.entrySet().stream()
                    .sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get()))
                    .limit(n)
                    .map(e -> f.format(java.time.Instant.ofEpochSecond(e.getKey())) + " " + ms(e.getValue().get() / 1e6) + " ms")
                    .collect(java.util.stream.Collectors.joining(", "));
        }

        static int index(long us) {
            if (us < LINEAR) {
                return (int) us;
            }
            int e = 63 - Long.numberOfLeadingZeros(us); // >= 11
            int sub = (int) ((us >> (e - 10)) & 1023);
            return Math.min(SIZE - 1, LINEAR + (e - 11) * 1024 + sub);
        }

        static long value(int index) {
            if (index < LINEAR) {
                return index;
            }
            int e = (index - LINEAR) / 1024 + 11;
            int sub = (index - LINEAR) % 1024;
            return (1024L + sub) << (e - 10);
        }

        long[] merged() {
            long[] m = new long[SIZE];
            for (long[] h : all) {
                for (int i = 0; i < SIZE; i++) {
                    m[i] += h[i];
                }
            }
            return m;
        }

        long count() {
            long n = 0;
            for (long c : merged()) {
                n += c;
            }
            return n;
        }

        /** Percentiles in milliseconds (NaN when nothing was recorded), in the order asked. */
        double[] percentilesMs(double... qs) {
            long[] m = merged();
            long total = 0;
            for (long c : m) {
                total += c;
            }
            double[] out = new double[qs.length];
            for (int k = 0; k < qs.length; k++) {
                if (total == 0) {
                    out[k] = Double.NaN;
                    continue;
                }
                long want = Math.max(1, (long) Math.ceil(qs[k] * total));
                long seen = 0;
                for (int i = 0; i < m.length; i++) {
                    seen += m[i];
                    if (seen >= want) {
                        out[k] = value(i) / 1000.0;
                        break;
                    }
                }
            }
            return out;
        }

        /** "p50 / p99 / p99.9" in ms, or "" when nothing was recorded. */
        String summary(boolean withP999) {
            double[] p = percentilesMs(0.5, 0.99, 0.999);
            if (Double.isNaN(p[0])) {
                return "";
            }
            return ms(p[0]) + " / " + ms(p[1]) + (withP999 ? " / " + ms(p[2]) : "");
        }

        static String ms(double v) {
            return String.format(Locale.ROOT, v < 1 ? "%.2f" : v < 10 ? "%.1f" : "%.0f", v);
        }
    }

    // ---------------------------------------------------------------- load

    /**
     * {@code lanes} requests in flight: each lane sends request {@code k} (a shared sequence) and,
     * when its answer is complete, the next one, until stopped or {@code limit} requests were sent.
     * An answer with another status than {@code expect}, or a failure, counts as an error.
     */
    static final class Load {
        final Vertx vertx;
        final Request request;
        final int lanes;
        final long limit;
        final int expect;
        final AtomicLong seq = new AtomicLong();
        final LongAdder calls = new LongAdder();
        final LongAdder errors = new LongAdder();
        final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
        final Latency latency = new Latency();
        final AtomicInteger active = new AtomicInteger();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        volatile boolean stop;

        Load(Vertx vertx, Request request, int lanes, long limit, int expect) {
            this.vertx = vertx;
            this.request = request;
            this.lanes = lanes;
            this.limit = limit;
            this.expect = expect;
        }

        /** Starts each lane on an event-loop context of its own (requests are never sent from a plain thread). */
        Load start() {
            active.set(lanes);
            for (int i = 0; i < lanes; i++) {
                vertx.getOrCreateContext().runOnContext(v -> next());
            }
            return this;
        }

        private void next() {
            long k;
            if (stop || (k = seq.getAndIncrement()) >= limit) {
                if (active.decrementAndGet() == 0) {
                    done.complete(null);
                }
                return;
            }
            long t0 = System.nanoTime();
            Future<Reply> f;
            try {
                f = request.send(k);
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            f.onComplete(ar -> {
                long t = System.nanoTime();
                if (ar.succeeded() && ar.result().status() == expect) {
                    latency.record(t - t0);
                    calls.increment();
                    next();
                    return;
                }
                errors.increment();
                String kind;
                if (ar.failed()) {
                    kind = ar.cause().toString();
                } else {
                    Buffer b = ar.result().body();
                    kind = ar.result().status() + (b == null ? "" : " " + abbreviate(b.toString()));
                }
                errorKinds.computeIfAbsent(kind.length() > 200 ? kind.substring(0, 200) : kind, x -> new LongAdder()).increment();
                // Never recurse on a failure (it may complete at once): go on from a timer.
                vertx.setTimer(ar.failed() ? 5 : 1, id -> next());
            });
        }

        long calls() {
            return calls.sum();
        }

        /** Stops sending and waits for the outstanding answers. */
        void stopAndJoin(long seconds) throws Exception {
            stop = true;
            join(seconds);
        }

        void join(long seconds) throws Exception {
            try {
                done.get(seconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException(active.get() + " request(s) still outstanding " + seconds + " s after the stop");
            }
        }

        /** "" or "N errors: kind x n, ..." */
        String errorSummary() {
            if (errors.sum() == 0) {
                return "";
            }
            StringBuilder sb = new StringBuilder("ERRORS " + errors.sum() + ":");
            errorKinds.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum())).limit(4)
                    .forEach(e -> sb.append(" [").append(e.getKey()).append("] x ").append(e.getValue().sum()));
            return sb.toString();
        }
    }

    static String abbreviate(String s) {
        s = s.replace('\n', ' ');
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    // ---------------------------------------------------------------- binary pages

    /**
     * Streams a binary page (docs/FORMAT.md, "HTTP binary pages": {@code u32 count}, then per event
     * {@code u32 record length, i64 position}, then the records, each zero-padded to 8 bytes; all
     * little-endian) chunk by chunk: counts events and checks that lengths are positive, positions
     * increase and the body is exactly as long as the table says.
     */
    static final class BinaryParser {
        long events;
        long bytes;
        long bad;
        private int phase; // 0 count, 1 table, 2 records, 3 done
        private final byte[] scratch = new byte[12];
        private final ByteBuf scratchBuf = io.netty.buffer.Unpooled.wrappedBuffer(scratch);
        private int fill;
        private long tableLeft;
        private long recordBytes;
        private long lastPosition = -1;

        @SuppressWarnings("deprecation") // getByteBuf: a view, no copy
        void feed(Buffer chunk) {
            ByteBuf b = chunk.getByteBuf();
            int i = b.readerIndex();
            int end = b.writerIndex();
            bytes += end - i;
            while (i < end) {
                switch (phase) {
                    case 0 -> {
                        int n = Math.min(4 - fill, end - i);
                        b.getBytes(i, scratch, fill, n);
                        fill += n;
                        i += n;
                        if (fill == 4) {
                            fill = 0;
                            tableLeft = scratchBuf.getIntLE(0) & 0xffffffffL;
                            phase = tableLeft == 0 ? 3 : 1;
                        }
                    }
                    case 1 -> {
                        if (fill == 0 && end - i >= 12) {
                            entry(b.getIntLE(i), b.getLongLE(i + 4));
                            i += 12;
                        } else {
                            int n = Math.min(12 - fill, end - i);
                            b.getBytes(i, scratch, fill, n);
                            fill += n;
                            i += n;
                            if (fill == 12) {
                                fill = 0;
                                entry(scratchBuf.getIntLE(0), scratchBuf.getLongLE(4));
                            }
                        }
                    }
                    case 2 -> {
                        int n = (int) Math.min(recordBytes, end - i);
                        recordBytes -= n;
                        i += n;
                        if (recordBytes == 0) {
                            phase = 3;
                        }
                    }
                    default -> {
                        bad++; // bytes after the last record
                        i = end;
                    }
                }
            }
        }

        private void entry(int length, long position) {
            if (length <= 0 || position <= lastPosition) {
                bad++;
            }
            lastPosition = position;
            events++;
            recordBytes += (Math.max(0, length) + 7L) & ~7L;
            if (--tableLeft == 0) {
                phase = recordBytes == 0 ? 3 : 2;
            }
        }

        boolean complete() {
            return phase == 3;
        }
    }

    // ---------------------------------------------------------------- SSE

    /**
     * Streams Server-Sent Events chunk by chunk without keeping frames: finds line ends with
     * {@link ByteBuf#indexOf} and looks only at the first byte and the last 32 bytes of each line.
     * A frame ends at a blank line; it counts when it had an {@code id:} (versions must follow each
     * other: gaps are counted). With {@code sentOrigin >= 0}, a data line ending in
     * {@code "sent":<19 digits>}} gives the send time ({@code System.nanoTime() - sentOrigin}, plus
     * {@link #SENT_BASE}) and
     * the frame's delivery latency is recorded against the chunk's arrival time.
     */
    static final class SseParser {
        /** Added to send times so they have 19 digits and no leading zero (JSON numbers cannot have one). */
        static final long SENT_BASE = 1_000_000_000_000_000_000L;
        private static final int TAIL = 32;
        final long sentOrigin;
        final Latency latency;
        final LongAdder delivered;
        long frames;
        long gaps;
        long errors;
        long lastId = -1;
        boolean connected;
        Runnable onConnected;
        private int lineLength;
        private byte first;
        private final byte[] tail = new byte[TAIL];
        private int tailLength;
        private long frameId = -1;
        private long frameSent = -1;

        SseParser(long sentOrigin, Latency latency, LongAdder delivered) {
            this.sentOrigin = sentOrigin;
            this.latency = latency;
            this.delivered = delivered;
        }

        @SuppressWarnings("deprecation") // getByteBuf: a view, no copy
        void feed(Buffer chunk) {
            long now = System.nanoTime();
            ByteBuf b = chunk.getByteBuf();
            int i = b.readerIndex();
            int end = b.writerIndex();
            while (i < end) {
                int e = b.indexOf(i, end, (byte) '\n');
                if (e < 0) {
                    if (lineLength == 0) {
                        first = b.getByte(i);
                    }
                    keepTail(b, i, end);
                    lineLength += end - i;
                    return;
                }
                int total = lineLength + (e - i);
                byte f = lineLength > 0 ? first : e > i ? b.getByte(i) : (byte) '\n';
                if (total == 0) {
                    endFrame(now);
                } else if (f == 'i') {
                    frameId = digitsBack(b, i, e, 0, 20);
                } else if (f == 'd') {
                    if (sentOrigin >= 0 && total > 24 && at(b, i, e, 0) == '}' && at(b, i, e, 1) == '}') {
                        long v = digitsBack(b, i, e, 2, 19);
                        frameSent = v >= SENT_BASE ? v - SENT_BASE : -1;
                    }
                } else if (f == 'e') {
                    // "event: problem" (14 bytes) is the server's error frame; "event: <type>" otherwise.
                    if (total == 14 && at(b, i, e, 0) == 'm' && at(b, i, e, 6) == 'p') {
                        errors++;
                    }
                } else if (f == ':' && !connected) {
                    connected = true;
                    if (onConnected != null) {
                        onConnected.run();
                    }
                }
                lineLength = 0;
                tailLength = 0;
                i = e + 1;
            }
        }

        private void endFrame(long now) {
            if (frameId >= 0) {
                frames++;
                if (lastId >= 0 && frameId != lastId + 1) {
                    gaps++;
                }
                lastId = frameId;
                if (delivered != null) {
                    delivered.increment();
                }
                if (frameSent >= 0 && latency != null) {
                    latency.record(now - sentOrigin - frameSent);
                }
            }
            frameId = -1;
            frameSent = -1;
        }

        /** The byte {@code back} positions before the line end {@code e} (0 = the last), or -1 if unknown. */
        private int at(ByteBuf b, int i, int e, int back) {
            int pos = e - 1 - back;
            if (pos >= i) {
                return b.getByte(pos);
            }
            int d = i - pos; // >= 1: that many bytes before this chunk's part of the line
            return d <= tailLength ? tail[tailLength - d] : -1;
        }

        /** The number ending {@code skip} bytes before the line end, of at most {@code max} digits. */
        private long digitsBack(ByteBuf b, int i, int e, int skip, int max) {
            long v = 0;
            long scale = 1;
            int n = 0;
            for (int k = skip; n < max; k++, n++) {
                int c = at(b, i, e, k);
                if (c < '0' || c > '9') {
                    break;
                }
                v += (c - '0') * scale;
                scale *= 10;
            }
            return n == 0 ? -1 : v;
        }

        private void keepTail(ByteBuf b, int from, int to) {
            int n = to - from;
            if (n >= TAIL) {
                b.getBytes(to - TAIL, tail, 0, TAIL);
                tailLength = TAIL;
                return;
            }
            int keep = Math.min(tailLength, TAIL - n);
            System.arraycopy(tail, tailLength - keep, tail, 0, keep);
            b.getBytes(from, tail, keep, n);
            tailLength = keep + n;
        }
    }
}
