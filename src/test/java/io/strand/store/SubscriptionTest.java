package io.strand.store;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.strand.store.StoreFixture.assertEvent;
import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Catch-up then live, on demand only, woken by commits; cancel and close end subscriptions cleanly. */
class SubscriptionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final ExecutorService readers = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopReaders() throws InterruptedException {
        readers.shutdownNow();
        readers.awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldDeliverCatchUpThenLiveInOrderWhileAppendsRaceTheSwitch(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            catchUpThenLive(f);
        }
    }

    @Test
    void shouldDeliverCatchUpThenLiveWithThePoolOff(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.openWithoutPool(dir)) {
            catchUpThenLive(f);
        }
    }

    private void catchUpThenLive(StoreFixture f) throws Exception {
        for (int i = 0; i < 3000; i++) {
            f.append("live", ExpectedVersion.ANY, event(i));
            f.append("noise", ExpectedVersion.ANY, event(100_000 + i));
        }
        AssertSubscriber<RecordedEvent> stream = f.store.subscribeStream("live", 0, readers)
                .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        AssertSubscriber<RecordedEvent> all = f.store.subscribeAll(0, readers)
                .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        Thread appender = new Thread(() -> {
            for (int i = 3000; i < 6000; i++) {
                f.append("live", ExpectedVersion.ANY, event(i));
                if (i % 3 == 0) {
                    f.append("noise", ExpectedVersion.ANY, event(100_000 + i));
                }
            }
        });
        appender.start(); // races the catch-up reads and the switch to live
        appender.join();
        stream.awaitItems(6000, WAIT);
        List<RecordedEvent> got = stream.getItems();
        assertEquals(6000, got.size(), "no repeats");
        for (int i = 0; i < 6000; i++) {
            assertEquals(i, got.get(i).version(), "in order, no gaps");
            assertEvent(event(i), got.get(i));
        }
        int total = 6000 + 3000 + 1000;
        all.awaitItems(total, WAIT);
        List<RecordedEvent> log = all.getItems();
        assertEquals(total, log.size());
        for (int i = 1; i < log.size(); i++) {
            assertTrue(log.get(i).position() > log.get(i - 1).position(), "$all in log order");
        }
        stream.assertNotTerminated();
        all.assertNotTerminated();
    }

    @Test
    void shouldReadOnlyWhatIsRequested(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int i = 0; i < 1000; i++) {
                f.append("bp", ExpectedVersion.ANY, event(i));
            }
            AssertSubscriber<RecordedEvent> s = f.store.subscribeStream("bp", 10, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(7));
            s.awaitItems(7, WAIT);
            Thread.sleep(200);
            assertEquals(7, s.getItems().size(), "nothing beyond demand");
            assertEquals(10, s.getItems().get(0).version());
            s.request(3);
            s.awaitItems(10, WAIT);
            assertEquals(19, s.getItems().get(9).version());
            s.cancel();
        }
    }

    @Test
    void shouldWaitForAStreamThatDoesNotExistYetAndStartFromTheEndWhenAsked(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("old", ExpectedVersion.ANY, event(0), event(1));
            AssertSubscriber<RecordedEvent> future = f.store.subscribeStream("later", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            AssertSubscriber<RecordedEvent> fromEnd = f.store.subscribeStream("old", EventStore.END, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            AssertSubscriber<RecordedEvent> allFromEnd = f.store.subscribeAll(EventStore.END, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            Thread.sleep(100);
            assertTrue(future.getItems().isEmpty());
            f.append("later", ExpectedVersion.NO_STREAM, event(5));
            f.append("old", ExpectedVersion.ANY, event(2));
            future.awaitItems(1, WAIT);
            assertEvent(event(5), future.getItems().get(0));
            fromEnd.awaitItems(1, WAIT);
            assertEquals(2, fromEnd.getItems().get(0).version(), "from the end: only new events");
            allFromEnd.awaitItems(2, WAIT);
            assertEquals(List.of("later", "old"), allFromEnd.getItems().stream().map(RecordedEvent::stream).toList());
        }
    }

    @Test
    void shouldShareTheExecutorBetweenSubscriptionsThatKeepRequesting(@TempDir Path dir) throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor();
        try (StoreFixture f = StoreFixture.open(dir)) {
            byte[] data = new byte[16];
            List<java.util.concurrent.CompletableFuture<AppendOutcome>> pending = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                pending.add(f.store.append("big", List.of(new NewEvent(new java.util.UUID(9, i), "T", data, null, true)),
                        ExpectedVersion.ANY, null).toCompletableFuture());
                if (pending.size() == 1000) {
                    pending.forEach(java.util.concurrent.CompletableFuture::join);
                    pending.clear();
                }
            }
            pending.forEach(java.util.concurrent.CompletableFuture::join);
            f.append("small", ExpectedVersion.ANY, event(0));
            java.util.concurrent.atomic.AtomicLong bigSeen = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.CountDownLatch bigDone = new java.util.concurrent.CountDownLatch(1);
            // The big one holds the only thread on its first event until the small one has subscribed,
            // so the small one's first drain is queued behind a catch-up that has 99,999 events to go.
            java.util.concurrent.CountDownLatch smallSubscribed = new java.util.concurrent.CountDownLatch(1);
            // Requests from inside onNext, as Mutiny operators do.
            f.store.subscribeStream("big", 0, single).subscribe().withSubscriber(new java.util.concurrent.Flow.Subscriber<RecordedEvent>() {
                java.util.concurrent.Flow.Subscription subscription;

                @Override
                public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                    subscription = s;
                    s.request(256);
                }

                @Override
                public void onNext(RecordedEvent item) {
                    if (bigSeen.get() == 0) {
                        try {
                            smallSubscribed.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    if (bigSeen.incrementAndGet() % 256 == 0) {
                        subscription.request(256);
                    }
                    if (bigSeen.get() == 100_000) {
                        bigDone.countDown();
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onComplete() {
                }
            });
            // Where the big one is at the moment the small one gets its event (on the shared thread).
            java.util.concurrent.CompletableFuture<Long> bigWhenSmallServedF = new java.util.concurrent.CompletableFuture<>();
            f.store.subscribeStream("small", 0, single).subscribe().withSubscriber(new java.util.concurrent.Flow.Subscriber<RecordedEvent>() {
                @Override
                public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                    s.request(1);
                }

                @Override
                public void onNext(RecordedEvent item) {
                    bigWhenSmallServedF.complete(bigSeen.get());
                }

                @Override
                public void onError(Throwable t) {
                    bigWhenSmallServedF.completeExceptionally(t);
                }

                @Override
                public void onComplete() {
                }
            });
            smallSubscribed.countDown();
            long bigWhenSmallServed = bigWhenSmallServedF.get(30, TimeUnit.SECONDS);
            assertTrue(bigDone.await(30, TimeUnit.SECONDS));
            assertTrue(bigWhenSmallServed < 100_000,
                    "the small subscription was served while the big one caught up, not after: " + bigWhenSmallServed);
        } finally {
            single.shutdownNow();
        }
    }

    @Test
    void shouldHoldMemoryFlatForSubscribersThatStopRequesting(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            List<AssertSubscriber<RecordedEvent>> idle = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                idle.add(f.store.subscribeStream("flat", 0, readers).subscribe().withSubscriber(AssertSubscriber.create(1)));
                idle.add(f.store.subscribeAll(0, readers).subscribe().withSubscriber(AssertSubscriber.create(1)));
            }
            f.append("flat", ExpectedVersion.ANY, event(0));
            for (AssertSubscriber<RecordedEvent> s : idle) {
                s.awaitItems(1, WAIT);
            }
            long before = usedHeapAfterGc();
            byte[] data = new byte[200];
            for (int i = 0; i < 100_000; i++) {
                f.store.append("flat", List.of(new NewEvent(new java.util.UUID(7, i), "T", data, null, true)),
                        ExpectedVersion.ANY, null).toCompletableFuture().join();
            }
            long after = usedHeapAfterGc();
            for (AssertSubscriber<RecordedEvent> s : idle) {
                assertEquals(1, s.getItems().size(), "an idle subscriber is sent nothing");
            }
            // 20 subscribers buffering 100k events of ~300 bytes would hold ~600 MB; the index itself
            // grows ~2 MB (8-byte positions and dedup slots).
            long grown = after - before;
            assertTrue(grown < 24L << 20, "heap grew by " + grown + " bytes over 100k appends with 20 idle subscribers");
            for (AssertSubscriber<RecordedEvent> s : idle) {
                s.request(10);
                s.awaitItems(11, WAIT);
            }
        }
    }

    @Test
    void shouldReleaseEverythingOnCancelAndCompleteOnClose(@TempDir Path dir) throws Exception {
        StoreFixture f = StoreFixture.open(dir);
        try {
            for (int i = 0; i < 100; i++) {
                f.append("c", ExpectedVersion.ANY, event(i));
            }
            AssertSubscriber<RecordedEvent> cancelled = f.store.subscribeAll(0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(5));
            AssertSubscriber<RecordedEvent> open = f.store.subscribeStream("c", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            cancelled.awaitItems(5, WAIT);
            open.awaitItems(100, WAIT);
            assertEquals(2, f.store.subscriptionCount());
            cancelled.cancel();
            awaitCount(f, 1);
            f.store.close();
            open.awaitCompletion(WAIT);
            awaitCount(f, 0);
        } finally {
            f.log.close();
        }
    }

    @Test
    void shouldNotCreateCatalogEntriesForSubscriptionsToMissingStreams(@TempDir Path dir) throws Exception {
        int streamsBefore;
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("real", ExpectedVersion.ANY, event(0), event(1));
            f.store.commitGroup("g", "real", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
            streamsBefore = f.store.index().catalog().size();
            StreamPage listBefore = f.store.listStreams(0, 1000);
            List<AssertSubscriber<RecordedEvent>> subs = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                String missing = "missing-" + java.util.UUID.randomUUID();
                long from = i % 3 == 0 ? EventStore.END : i % 3 == 1 ? 0 : 5;
                subs.add(f.store.subscribeStream(missing, from, readers)
                        .subscribe().withSubscriber(AssertSubscriber.create(i % 2 == 0 ? Long.MAX_VALUE : 0)));
            }
            awaitCount(f, 2000);
            assertEquals(streamsBefore, f.store.index().catalog().size(), "waiting creates no catalog entry");
            assertEquals(2000, f.store.waitingSubscriptions());
            for (AssertSubscriber<RecordedEvent> s : subs) {
                s.cancel();
            }
            awaitCount(f, 0);
            assertEquals(0, f.store.waitingSubscriptions(), "cancelled waiters are gone");
            assertEquals(streamsBefore, f.store.index().catalog().size());
            assertEquals(listBefore.streams(), f.store.listStreams(0, 1000).streams());
        }
        try (StoreFixture f = StoreFixture.open(dir)) {
            assertEquals(streamsBefore, f.store.index().catalog().size(), "nor an entry on disk");
        }
    }

    @Test
    void shouldDeliverTheFirstEventToSubscriptionsWaitingForAStreamAndThenForgetThem(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            List<AssertSubscriber<RecordedEvent>> waiting = new ArrayList<>();
            for (long from : new long[]{0, EventStore.END, 0, 1}) {
                waiting.add(f.store.subscribeStream("soon", from, readers)
                        .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE)));
            }
            AssertSubscriber<RecordedEvent> idle = f.store.subscribeStream("soon", 0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(0));
            awaitCount(f, 5);
            assertEquals(5, f.store.waitingSubscriptions());
            f.append("soon", ExpectedVersion.NO_STREAM, event(7), event(8));
            for (int i = 0; i < 3; i++) {
                waiting.get(i).awaitItems(2, WAIT);
                assertEvent(event(7), waiting.get(i).getItems().get(0));
                assertEvent(event(8), waiting.get(i).getItems().get(1));
            }
            waiting.get(3).awaitItems(1, WAIT);
            assertEvent(event(8), waiting.get(3).getItems().get(0));
            assertEquals(1, f.store.waitingSubscriptions(), "attached on their first event; the idle one on request");
            idle.request(1);
            idle.awaitItems(1, WAIT);
            assertEquals(0, f.store.waitingSubscriptions());
            f.append("soon", ExpectedVersion.ANY, event(9));
            waiting.get(0).awaitItems(3, WAIT);
            assertEvent(event(9), waiting.get(0).getItems().get(2));
        }
    }

    @Test
    void shouldNotMissTheFirstEventWhenSubscribingRacesTheStreamsCreation(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            for (int round = 0; round < 300; round++) {
                String name = "race-" + round;
                long i = round;
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                Thread appender = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    f.append(name, ExpectedVersion.NO_STREAM, event(i));
                });
                appender.start();
                go.countDown();
                AssertSubscriber<RecordedEvent> s = f.store.subscribeStream(name, 0, readers)
                        .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
                appender.join();
                s.awaitItems(1, WAIT);
                assertEvent(event(round), s.getItems().get(0));
                s.cancel();
            }
            awaitCount(f, 0);
            assertEquals(0, f.store.waitingSubscriptions());
        }
    }

    private static void awaitCount(StoreFixture f, int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (f.store.subscriptionCount() != n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(n, f.store.subscriptionCount());
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            min = Math.min(min, memory.getHeapMemoryUsage().getUsed());
        }
        return min;
    }
}
