package io.strand.store.groups;

import io.strand.log.CommitLog;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;
import io.strand.store.AppendOutcome;
import io.strand.store.EventStore;
import io.strand.store.ExpectedVersion;
import io.strand.store.NewEvent;
import io.strand.store.StoreConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A log, a store and its shared groups over a test directory; {@link #close()} closes all three, as the server does. */
final class GroupsFixture implements AutoCloseable {
    final CommitLog log;
    final EventStore store;
    final SharedGroups groups;

    private GroupsFixture(CommitLog log, EventStore store, SharedGroups groups) {
        this.log = log;
        this.store = store;
        this.groups = groups;
    }

    static GroupsFixture open(Path dir) throws Exception {
        return open(dir, 1 << 16);
    }

    /** With at most {@code waiters} appends waiting for their commit or flush (more are refused as overloaded). */
    static GroupsFixture open(Path dir, int waiters) throws Exception {
        LogConfig config = LogConfig.defaults(dir).withSegmentSize(32 << 20).withPool(true, 4, 1 << 20)
                .withFlush(FlushMode.ASYNC, Duration.ofMillis(10)).withWaitersCapacity(waiters);
        CommitLog log = CommitLog.open(config);
        EventStore store = EventStore.open(log, StoreConfig.defaults());
        return new GroupsFixture(log, store, SharedGroups.open(store));
    }

    /** Appends {@code n} events of {@code dataBytes} bytes of JSON data to {@code stream} in batches of up to 500; the outcomes. */
    List<AppendOutcome> append(String stream, int n, int dataBytes) throws Exception {
        List<AppendOutcome> out = new ArrayList<>();
        String pad = "x".repeat(Math.max(0, dataBytes - 20));
        for (int k = 0; k < n; ) {
            List<NewEvent> batch = new ArrayList<>();
            for (int i = 0; i < 500 && k < n; i++, k++) {
                batch.add(new NewEvent(UUID.randomUUID(), "T", ("{\"k\":" + k + ",\"p\":\"" + pad + "\"}").getBytes(StandardCharsets.UTF_8),
                        null, false));
            }
            out.add(await(store.append(stream, batch, ExpectedVersion.ANY, null)));
        }
        return out;
    }

    static GroupSettings stream(String stream, int maxInFlight) {
        return new GroupSettings(stream, List.of(), List.of(), GroupSettings.START, 60, 5, maxInFlight,
                GroupSettings.Strategy.ROUND_ROBIN);
    }

    GroupStatus status(String group) throws Exception {
        return await(groups.status(group));
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            groups.close();
            store.close();
        } finally {
            log.close();
        }
    }

    /** A consumer that queues what it is given (on the groups thread) for the test to take. */
    static class Recorder implements GroupConsumer {
        final LinkedBlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<String> ended = new LinkedBlockingQueue<>();
        GroupMember member;

        @Override
        public void deliver(Delivery d) {
            deliveries.add(d);
        }

        @Override
        public void end(String why) {
            ended.add(why);
        }

        /** Exactly the next {@code n} deliveries, waiting up to {@code seconds} in all. */
        List<Delivery> take(int n, int seconds) throws InterruptedException {
            List<Delivery> out = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (out.size() < n) {
                Delivery d = deliveries.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (d == null) {
                    throw new AssertionError("got " + out.size() + " of " + n + " deliveries within " + seconds + " s");
                }
                out.add(d);
            }
            return out;
        }

        Recorder attach(SharedGroups groups, String group) throws Exception {
            member = await(groups.attach(group, this));
            return this;
        }
    }

    static List<UUID> ids(List<Delivery> ds) {
        return ds.stream().map(d -> d.event().id()).toList();
    }

    static List<Long> versions(List<Delivery> ds) {
        return ds.stream().map(d -> d.event().version()).toList();
    }
}
