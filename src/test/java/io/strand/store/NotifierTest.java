package io.strand.store;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.strand.store.StoreFixture.assertEvent;
import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Subscribers are woken by the store's notifier thread, never by the log's commit thread: a
 * wake-up that blocks, or many subscribers, do not hold appends' acknowledgements back.
 */
class NotifierTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NOTIFIER = "strand-store-notifier";
    private final ExecutorService readers = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopReaders() throws InterruptedException {
        readers.shutdownNow();
        readers.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** Hands drains to {@code readers}; once armed, the first hand-over blocks until released. */
    private final class BlockingExecutor implements Executor {
        final AtomicBoolean armed = new AtomicBoolean();
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Set<String> threads = ConcurrentHashMap.newKeySet();

        @Override
        public void execute(Runnable drain) {
            if (armed.compareAndSet(true, false)) {
                threads.add(Thread.currentThread().getName());
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            readers.execute(drain);
        }
    }

    @Test
    void shouldAcknowledgeAppendsWhileASubscribersWakeUpBlocks(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            f.append("s", ExpectedVersion.ANY, event(0));
            BlockingExecutor stuck = new BlockingExecutor();
            AssertSubscriber<RecordedEvent> stream = f.store.subscribeStream("s", 0, stuck)
                    .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            AssertSubscriber<RecordedEvent> all = f.store.subscribeAll(0, readers)
                    .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            stream.awaitItems(1, WAIT);
            all.awaitItems(1, WAIT);
            stuck.armed.set(true);

            f.append("s", ExpectedVersion.ANY, event(1)); // its wake-up blocks the notifier
            assertTrue(stuck.blocked.await(30, TimeUnit.SECONDS), "the wake-up ran");
            assertEquals(Set.of(NOTIFIER), stuck.threads, "wake-ups run on the notifier, not the commit thread");
            long started = System.nanoTime();
            for (int i = 2; i < 500; i++) {
                // Acknowledged although the notifier is stuck in a subscriber's wake-up.
                f.store.append("s", List.of(event(i)), ExpectedVersion.ANY, null).toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
            }
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20), "appends were not held back");
            assertTrue(stream.getItems().size() < 500, "the blocked subscriber really waited");

            stuck.release.countDown();
            stream.awaitItems(500, WAIT);
            all.awaitItems(500, WAIT);
            for (int i = 0; i < 500; i++) {
                assertEvent(event(i), stream.getItems().get(i));
                assertEvent(event(i), all.getItems().get(i));
            }
        }
    }

    @Test
    void shouldWakeEveryOneOfManySubscribersPromptly(@TempDir Path dir) throws Exception {
        try (StoreFixture f = StoreFixture.open(dir)) {
            Set<String> wakers = ConcurrentHashMap.newKeySet();
            Executor recording = drain -> {
                wakers.add(Thread.currentThread().getName());
                readers.execute(drain);
            };
            List<AssertSubscriber<RecordedEvent>> subscribers = new ArrayList<>();
            for (int k = 0; k < 300; k++) {
                // Every third waits for a stream that does not exist yet; the rest follow $all or "hot".
                subscribers.add((k % 3 == 0 ? f.store.subscribeStream("later", 0, recording)
                        : k % 3 == 1 ? f.store.subscribeAll(EventStore.END, recording)
                        : f.store.subscribeStream("hot", EventStore.END, recording))
                        .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE)));
            }
            wakers.clear(); // the first drains ran on the subscribing thread
            List<CompletableFuture<AppendOutcome>> acks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                acks.add(f.store.append(i % 2 == 0 ? "hot" : "later", List.of(event(i)), ExpectedVersion.ANY, null)
                        .toCompletableFuture());
            }
            for (CompletableFuture<AppendOutcome> a : acks) {
                a.get(30, TimeUnit.SECONDS);
            }
            for (int k = 0; k < subscribers.size(); k++) {
                AssertSubscriber<RecordedEvent> s = subscribers.get(k);
                int expected = k % 3 == 1 ? 200 : 100;
                s.awaitItems(expected, WAIT);
                assertEquals(expected, s.getItems().size(), "subscriber " + k + " saw every event once");
            }
            assertEquals(Set.of(NOTIFIER), wakers, "every live wake-up came from the notifier");
        }
    }

    @Test
    void shouldStopTheNotifierWhenTheStoreCloses(@TempDir Path dir) throws Exception {
        EventStore store;
        AssertSubscriber<RecordedEvent> sub;
        try (StoreFixture f = StoreFixture.open(dir)) {
            store = f.store;
            assertTrue(store.notifierAlive());
            sub = f.store.subscribeStream("s", 0, readers).subscribe().withSubscriber(AssertSubscriber.create(10));
            f.append("s", ExpectedVersion.ANY, event(0));
            sub.awaitItems(1, WAIT);
        }
        assertFalse(store.notifierAlive(), "closing the store stops its notifier thread");
        sub.awaitCompletion(WAIT);
        CompletableFuture<AppendOutcome> late = store.append("s", List.of(event(1)), ExpectedVersion.ANY, null)
                .toCompletableFuture();
        assertTrue(late.isCompletedExceptionally(), "a closed store refuses appends at once");
    }
}
