package io.strand.store.history;

import io.strand.log.CommitLog;
import io.strand.log.Durability;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;
import io.strand.store.AppendOutcome;
import io.strand.store.Direction;
import io.strand.store.EventStore;
import io.strand.store.NewEvent;
import io.strand.store.ReadPage;
import io.strand.store.RecordedEvent;
import io.strand.store.StoreConfig;
import io.strand.store.StreamNotFoundException;
import io.strand.store.WrongExpectedVersionException;
import io.strand.store.history.LinearizabilityChecker.Bounds;
import io.strand.store.history.LinearizabilityChecker.Result;
import io.strand.store.history.LinearizabilityChecker.Verdict;
import io.strand.store.history.StreamModel.Append;
import io.strand.store.history.StreamModel.AppendOk;
import io.strand.store.history.StreamModel.Conflict;
import io.strand.store.history.StreamModel.Input;
import io.strand.store.history.StreamModel.Output;
import io.strand.store.history.StreamModel.Read;
import io.strand.store.history.StreamModel.ReadOk;
import io.strand.store.history.StreamModel.Unknown;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Records concurrent histories of expected-version appends and whole-stream reads against a real
 * {@link EventStore} (real files, the real commit and flush threads) and checks each for
 * linearizability with {@link StreamModel}. Issue 10: a 409 must name a version every later read
 * sees. Uses only the store's public API.
 *
 * <p>Each round opens a fresh store (rotating the pool on/off and async/sync flush), runs
 * {@value #THREADS} client threads over {@value #STREAMS} streams (one hot), each issuing one
 * operation at a time: appends of 1-3 events expecting, at random, the last version that client saw,
 * a stale one, {@code any}, {@code no-stream} or {@code exists}, with COMMITTED or FLUSHED durability,
 * and whole-stream reads; after a 409 the client reads the stream at once (what a client does to catch
 * up). A round ends when every stream has {@value #OPS_PER_STREAM} operations; rounds go on until the
 * time budget is spent, and the first history that is not linearizable fails the test with the
 * checker's explanation.
 *
 * <p>Recording: the call time is taken right before invoking, the return time in the completing
 * callback of the append's stage (or right after a read returns), so each recorded interval contains
 * the real one. An append that fails with anything but a version conflict, or does not complete, has
 * an unknown outcome (it may or may not have taken effect).
 */
class EventStoreLinearizabilityTest {
    private static final int THREADS = 8;
    private static final int STREAMS = 3;
    private static final int OPS_PER_STREAM = 250;
    /** Rounds start while this has not elapsed; with the last round and its check the test stays under ~20 s. */
    private static final Duration BUDGET = Duration.ofSeconds(12);
    private static final Duration ROUND_LIMIT = Duration.ofSeconds(4);
    private static final int MAX_READ = 100_000;
    private static final Bounds BOUNDS = new Bounds(5_000, 20_000_000L, Duration.ofSeconds(3));

    private static final StreamModel MODEL = new StreamModel();

    @Test
    void shouldAnswerConcurrentExpectedVersionAppendsAndReadsLinearizably(@TempDir Path dir) throws Exception {
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int rounds = 0;
        int decided = 0;
        Stats total = new Stats();
        List<String> undecided = new ArrayList<>();
        do {
            LogConfig config = config(dir.resolve("round-" + rounds), rounds);
            List<Operation<Input, Output>> history = record(config, rounds, total);
            Result result = LinearizabilityChecker.check(MODEL, history, BOUNDS);
            rounds++;
            if (result.verdict() == Verdict.NOT_LINEARIZABLE) {
                fail("round " + rounds + " (" + describe(config) + "), " + history.size()
                        + " operations: not linearizable\n" + result.explanation());
            }
            deleteRecursively(config.dataDir());
            if (result.verdict() == Verdict.UNKNOWN) {
                undecided.add("round " + rounds + ": " + result.explanation());
            } else {
                decided++;
            }
        } while (System.nanoTime() < deadline);
        System.out.println("EventStoreLinearizabilityTest: " + rounds + " rounds linearizable (" + decided + " decided), "
                + total);
        assertTrue(decided > 0 && undecided.isEmpty(), () -> "checker could not decide: " + undecided);
        // The workload must exercise what it checks.
        assertTrue(total.conflicts.get() > 0 && total.oks.get() > 0 && total.readEvents.get() > 0, total::toString);
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    private static LogConfig config(Path dir, int round) {
        boolean pool = round % 3 != 2;
        FlushMode mode = round % 3 == 1 ? FlushMode.SYNC : FlushMode.ASYNC;
        return LogConfig.defaults(dir)
                .withSegmentSize(4 << 20)
                .withPool(pool, 4, 256 * 1024)
                .withFlush(mode, Duration.ofMillis(5));
    }

    private static String describe(LogConfig c) {
        return "pool " + (c.poolEnabled() ? "on" : "off") + ", flush " + c.flushMode();
    }

    private static final class Stats {
        final AtomicLong oks = new AtomicLong();
        final AtomicLong conflicts = new AtomicLong();
        final AtomicLong unknown = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong readEvents = new AtomicLong();
        final java.util.Map<String, Integer> unknownWhy = new java.util.concurrent.ConcurrentSkipListMap<>();

        void unknown(String why) {
            unknown.incrementAndGet();
            unknownWhy.merge(why.length() > 120 ? why.substring(0, 120) : why, 1, Integer::sum);
        }

        @Override
        public String toString() {
            return "appends ok " + oks + ", conflicts " + conflicts + ", unknown " + unknown + " " + unknownWhy
                    + ", reads " + reads + " (" + readEvents + " events read)";
        }
    }

    private static List<Operation<Input, Output>> record(LogConfig config, int round, Stats stats) throws Exception {
        HistoryRecorder<Input, Output> recorder = new HistoryRecorder<>(new Unknown("no answer"));
        AtomicIntegerArray opsPerStream = new AtomicIntegerArray(STREAMS);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ids = new AtomicLong();
        long idMsb = 0x4C494E00L + round;
        List<Throwable> errors = new ArrayList<>();
        try (CommitLog log = CommitLog.open(config);
             EventStore store = EventStore.open(log, new StoreConfig(Duration.ofMinutes(10), MAX_READ))) {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int client = t;
                Thread thread = new Thread(() -> {
                    try {
                        start.await();
                        new Client(client, store, recorder, new SplittableRandom(round * 1000L + client), ids, idMsb,
                                opsPerStream, stats).run(stop);
                    } catch (Throwable e) {
                        synchronized (errors) {
                            errors.add(e);
                        }
                    }
                }, "lin-client-" + t);
                threads.add(thread);
                thread.start();
            }
            long end = System.nanoTime() + ROUND_LIMIT.toNanos();
            start.countDown();
            while (System.nanoTime() < end && minOps(opsPerStream) < OPS_PER_STREAM && errors.isEmpty()) {
                Thread.sleep(5);
            }
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(10_000);
            }
            synchronized (errors) {
                if (!errors.isEmpty()) {
                    AssertionError e = new AssertionError("a client thread failed", errors.get(0));
                    throw e;
                }
            }
            return recorder.history(); // before close: anything still pending is unknown, not failed by close
        }
    }

    private static int minOps(AtomicIntegerArray ops) {
        int min = Integer.MAX_VALUE;
        for (int i = 0; i < ops.length(); i++) {
            min = Math.min(min, ops.get(i));
        }
        return min;
    }

    /** One client: one operation at a time, remembering the last version it saw of each stream. */
    private static final class Client {
        private final int id;
        private final EventStore store;
        private final HistoryRecorder<Input, Output> recorder;
        private final SplittableRandom random;
        private final AtomicLong ids;
        private final long idMsb;
        private final AtomicIntegerArray opsPerStream;
        private final Stats stats;
        private final long[] lastSeen = new long[STREAMS];

        Client(int id, EventStore store, HistoryRecorder<Input, Output> recorder, SplittableRandom random, AtomicLong ids,
               long idMsb, AtomicIntegerArray opsPerStream, Stats stats) {
            this.id = id;
            this.store = store;
            this.recorder = recorder;
            this.random = random;
            this.ids = ids;
            this.idMsb = idMsb;
            this.opsPerStream = opsPerStream;
            this.stats = stats;
            java.util.Arrays.fill(lastSeen, -1);
        }

        void run(AtomicBoolean stop) throws Exception {
            while (!stop.get()) {
                int s = random.nextInt(10) < 6 ? 0 : 1 + random.nextInt(STREAMS - 1); // stream 0 is hot
                if (random.nextInt(100) < 30) {
                    read(s);
                } else if (append(s)) {
                    read(s); // after a 409, catch up
                }
            }
        }

        private static String stream(int s) {
            return "lin-" + s;
        }

        private long expected(int s) {
            return io.strand.store.history.ExpectedVersions.pick(random, lastSeen[s]);
        }

        /** Appends; true when refused with a version conflict. */
        private boolean append(int s) throws Exception {
            int k = 1 + random.nextInt(3);
            long[] eventIds = new long[k];
            List<NewEvent> events = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                eventIds[i] = ids.incrementAndGet();
                events.add(new NewEvent(new UUID(idMsb, eventIds[i]), "Lin",
                        ("{\"c\":" + id + "}").getBytes(StandardCharsets.UTF_8), null, false));
            }
            long expected = expected(s);
            Durability durability = random.nextInt(100) < 30 ? Durability.FLUSHED : Durability.COMMITTED;
            opsPerStream.incrementAndGet(s);
            HistoryRecorder.Call<Input, Output> call = recorder.begin(id, new Append(stream(s), expected, eventIds));
            CompletionStage<AppendOutcome> stage;
            try {
                stage = store.append(stream(s), events, expected, durability);
            } catch (RuntimeException e) {
                stage = CompletableFuture.failedFuture(e);
            }
            CompletableFuture<Output> answer = stage.handle((o, e) -> {
                Output out = output(o, e);
                if (out instanceof Unknown) {
                    call.endUnknown(out);
                } else {
                    call.end(out); // the return time: now, in the completing callback
                }
                return out;
            }).toCompletableFuture();
            Output out;
            try {
                out = answer.get(5, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                stats.unknown("no answer in 5 s");
                return false; // left pending: recorded as unknown unless it completes before the history is taken
            } catch (ExecutionException e) {
                throw new AssertionError(e.getCause());
            }
            if (out instanceof AppendOk ok) {
                stats.oks.incrementAndGet();
                lastSeen[s] = ok.lastVersion();
            } else if (out instanceof Conflict c) {
                stats.conflicts.incrementAndGet();
                lastSeen[s] = c.currentVersion();
                return true;
            } else {
                stats.unknown(((Unknown) out).why());
            }
            return false;
        }

        private static Output output(AppendOutcome o, Throwable e) {
            if (e == null) {
                return new AppendOk(o.firstVersion(), o.lastVersion());
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof WrongExpectedVersionException w) {
                return new Conflict(w.current());
            }
            return new Unknown(cause.toString());
        }

        private void read(int s) {
            opsPerStream.incrementAndGet(s);
            HistoryRecorder.Call<Input, Output> call = recorder.begin(id, new Read(stream(s)));
            ReadOk out;
            try {
                ReadPage page = store.readStream(stream(s), 0, MAX_READ, Direction.FORWARD);
                List<RecordedEvent> events = page.events();
                long[] versions = new long[events.size()];
                long[] eventIds = new long[events.size()];
                for (int i = 0; i < versions.length; i++) {
                    versions[i] = events.get(i).version();
                    eventIds[i] = events.get(i).id().getLeastSignificantBits();
                }
                out = new ReadOk(versions, eventIds);
                call.end(out);
                assertEquals(-1, page.next(), "a whole-stream read fits in one page");
            } catch (StreamNotFoundException e) {
                out = new ReadOk(new long[0], new long[0]);
                call.end(out); // a stream with no committed event does not exist: an empty read
            } catch (RuntimeException e) {
                call.endUnknown(new Unknown(e.toString()));
                stats.unknown("read: " + e);
                return;
            }
            stats.reads.incrementAndGet();
            stats.readEvents.addAndGet(out.ids().length);
            if (out.ids().length > 0) {
                lastSeen[s] = out.versions()[out.versions().length - 1];
            }
        }
    }
}
