package io.strand.cluster;

import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LocalRequests} never hands a request to the server on the caller's thread. The server here
 * behaves as Ratis's does where it deadlocked with a follower's nudge (cluster benchmark,
 * 2026-12-07): taking a request waits while its client executor queues it, which needs the ReadIndex
 * queue's monitor; and the applying thread completes reads while it holds that monitor. A read
 * asked again from such a completion then waited for a monitor its own thread held, for good.
 */
class LocalRequestsTest {
    private final Object readIndexQueue = new Object();
    private final List<CompletableFuture<RaftClientReply>> queued = new ArrayList<>();
    private final List<Thread> submitters = new ArrayList<>();
    private final ExecutorService clientExecutor = Executors.newCachedThreadPool();
    private final ExecutorService applier = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        clientExecutor.shutdownNow();
        applier.shutdownNow();
    }

    @Test
    void aReadAskedAgainFromTheCompletionOfOneDoesNotWaitForTheServerOnThatThread() throws Exception {
        LocalRequests local = new LocalRequests(server(), RaftPeerId.valueOf("n1"));
        CompletableFuture<RaftClientReply> second = new CompletableFuture<>();
        // As a follower's nudge does: answered before the leader committed what it waits for, it asks again.
        local.read(Message.EMPTY, 10_000).whenComplete((reply, e) -> local.read(Message.EMPTY, 10_000).whenComplete((r, e2) -> {
            if (e2 != null) {
                second.completeExceptionally(e2);
            } else {
                second.complete(r);
            }
        }));
        awaitQueued(1);

        CompletableFuture<?> applied = CompletableFuture.runAsync(this::completeQueued, applier); // Ratis's applying thread
        applied.get(10, TimeUnit.SECONDS);
        awaitQueued(1);
        CompletableFuture.runAsync(this::completeQueued, applier).get(10, TimeUnit.SECONDS);
        assertTrue(second.get(10, TimeUnit.SECONDS).isSuccess(), "the second read was taken and answered");
        synchronized (readIndexQueue) {
            for (Thread t : submitters) {
                assertNotEquals(Thread.currentThread(), t);
                assertTrue(t.getName().startsWith("strand-raft-submit"), () -> "submitted on " + t.getName());
            }
        }
    }

    /** As RaftServerImpl#executeSubmitClientRequestAsync: the client executor queues it under the queue's monitor; the caller waits. */
    private RaftServer server() {
        return (RaftServer) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RaftServer.class}, (proxy, m, args) -> {
            if (!m.getName().equals("submitClientRequestAsync")) {
                throw new UnsupportedOperationException(m.getName());
            }
            RaftClientRequest request = (RaftClientRequest) args[0];
            Thread caller = Thread.currentThread();
            return CompletableFuture.supplyAsync(() -> {
                synchronized (readIndexQueue) {
                    submitters.add(caller);
                    CompletableFuture<RaftClientReply> reply = new CompletableFuture<>();
                    queued.add(reply);
                    readIndexQueue.notifyAll();
                    return reply.thenApply(r -> RaftClientReply.newBuilder().setRequest(request).setSuccess()
                            .setMessage(Message.EMPTY).build());
                }
            }, clientExecutor).join();
        });
    }

    /** Completes every queued read while holding the queue's monitor, as Ratis's applying thread does. */
    private void completeQueued() {
        synchronized (readIndexQueue) {
            List<CompletableFuture<RaftClientReply>> now = new ArrayList<>(queued);
            queued.clear();
            now.forEach(f -> f.complete(null));
        }
    }

    private void awaitQueued(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        synchronized (readIndexQueue) {
            while (queued.size() < n && System.nanoTime() < deadline) {
                readIndexQueue.wait(100);
            }
            assertTrue(queued.size() >= n, "a read was queued");
        }
    }
}
