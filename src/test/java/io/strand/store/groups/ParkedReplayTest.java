package io.strand.store.groups;

import io.strand.store.groups.GroupsFixture.Recorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.strand.store.groups.GroupsFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 100,000 parked events of 1 KiB replayed through one consumer with {@code maxInFlight} 100: every
 * one is delivered once, the group's parked count ends at 0, the group never has more than 100 in
 * flight (its status, read after every delivery), and the heap does not grow with the replay (100,000
 * events of 1 KiB held at once would be over 100 MiB; the bound is 32 MiB, the replay itself adds about 5).
 */
class ParkedReplayTest {
    private static final int EVENTS = 100_000;
    private static final int MAX_IN_FLIGHT = 100;
    private static final long HEAP_BOUND = 32L << 20;

    @Test
    void replaysOneHundredThousandParkedEventsWithinTheInFlightLimit(@TempDir Path dir) throws Exception {
        try (GroupsFixture f = GroupsFixture.open(dir)) {
            long t0 = System.nanoTime();
            f.append("big", EVENTS, 1024);
            long t1 = System.nanoTime();
            await(f.groups.put("g", GroupsFixture.stream("big", MAX_IN_FLIGHT)));
            AtomicInteger peak = new AtomicInteger();
            Recorder c = new Recorder() {
                @Override
                public void deliver(Delivery d) {
                    super.deliver(d);
                    // read after this delivery, once the groups thread is done handing out the current batch
                    f.groups.status("g").thenAccept(s -> peak.accumulateAndGet(s.inFlight(), Math::max));
                }
            }.attach(f.groups, "g");

            // Park every event: nack park each batch as it arrives.
            Set<UUID> parked = new HashSet<>(EVENTS * 2);
            List<CompletableFuture<Void>> nacks = new ArrayList<>();
            while (parked.size() < EVENTS) {
                List<UUID> batch = batch(c);
                for (UUID id : batch) {
                    assertTrue(parked.add(id), "each event is delivered once before it is parked");
                }
                nacks.add(f.groups.nack("g", batch, NackAction.PARK).toCompletableFuture());
            }
            CompletableFuture.allOf(nacks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertEquals(EVENTS, f.status("g").parked());
            assertEquals(0, f.status("g").lag());
            long t2 = System.nanoTime();

            long before = usedAfterGc();
            await(f.groups.replayParked("g"));
            Set<UUID> replayed = new HashSet<>(EVENTS * 2);
            long early = -1; // a tenth in: had the group read ahead, 90,000 events (over 90 MiB) would be held now
            long midway = -1;
            while (replayed.size() < EVENTS) {
                List<UUID> batch = batch(c);
                for (UUID id : batch) {
                    assertTrue(parked.contains(id), "a replayed event is a parked one");
                    assertTrue(replayed.add(id), "each parked event is replayed once");
                }
                await(f.groups.ack("g", batch));
                if (early < 0 && replayed.size() >= EVENTS / 10) {
                    early = usedAfterGc();
                }
                if (midway < 0 && replayed.size() >= EVENTS / 2) {
                    midway = usedAfterGc();
                }
            }
            long t3 = System.nanoTime();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (f.status("g").parked() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            GroupStatus s = f.status("g");
            long after = usedAfterGc();
            System.out.printf(Locale.ROOT, "ParkedReplayTest: append %.1f s, park %.1f s, replay %.1f s; peak in flight %d;"
                            + " heap after GC before the replay %.1f MiB, a tenth in %.1f MiB, midway %.1f MiB, after %.1f MiB%n",
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, peak.get(), before / 1048576.0, early / 1048576.0, midway / 1048576.0,
                    after / 1048576.0);
            assertEquals(0, s.parked(), "the replay finished: nothing parked");
            assertEquals(0, s.inFlight());
            assertEquals(0, c.deliveries.size(), "nothing delivered twice");
            assertEquals(2L * EVENTS, s.delivered());
            assertEquals(EVENTS, s.acked());
            assertTrue(peak.get() > 0 && peak.get() <= MAX_IN_FLIGHT, "in flight never above " + MAX_IN_FLIGHT + ": " + peak.get());
            assertTrue(early - before < HEAP_BOUND, "heap grew by " + (early - before) + " bytes a tenth into the replay");
            assertTrue(midway - before < HEAP_BOUND, "heap grew by " + (midway - before) + " bytes midway through the replay");
            assertEquals(0, await(f.groups.parked("g", 0, 10)).events().size());
        }
    }

    /** What the consumer was given so far: at least one delivery, waiting up to 10 s for it. */
    private static List<UUID> batch(Recorder c) throws InterruptedException {
        Delivery first = c.deliveries.poll(10, TimeUnit.SECONDS);
        if (first == null) {
            throw new AssertionError("no delivery within 10 s");
        }
        List<Delivery> ds = new ArrayList<>(List.of(first));
        c.deliveries.drainTo(ds);
        return GroupsFixture.ids(ds);
    }

    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }
}
