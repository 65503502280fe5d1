package io.strand.store;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

import static io.strand.store.StoreFixture.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream's index has a batch before the log can commit it: whoever meets an event in the log (a
 * read of {@code $all}, a subscriber, a replica's reader) finds it in its stream too. Checked at
 * the earliest moment, in the log's commit listener, for every event committed.
 */
class IndexBeforeCommitTest {

    @ParameterizedTest(name = "pool={0}")
    @ValueSource(booleans = {true, false})
    void everyCommittedEventIsInItsStreamWhenTheCommitIsAnnounced(boolean pool, @TempDir Path dir) throws Exception {
        try (StoreFixture f = pool ? StoreFixture.open(dir) : StoreFixture.openWithoutPool(dir)) {
            ConcurrentLinkedQueue<String> missing = new ConcurrentLinkedQueue<>();
            AtomicInteger checked = new AtomicInteger();
            long[] at = {0, -1}; // where the next read starts (a record boundary), the last event checked
            LongConsumer check = committed -> {
                synchronized (at) {
                    while (true) {
                        ReadPage page = f.store.readAll(at[0], 100);
                        for (RecordedEvent e : page.events()) {
                            if (e.position() <= at[1]) {
                                continue;
                            }
                            if (e.position() >= committed) {
                                return; // a later commit's: checked when that is announced
                            }
                            long last;
                            try {
                                last = f.store.streamInfo(e.stream()).lastVersion();
                            } catch (StreamNotFoundException notYet) {
                                last = -1;
                            }
                            if (last < e.version() && missing.size() < 10) {
                                missing.add(e.stream() + "@" + e.version() + " at " + e.position() + ": stream ends at " + last);
                            }
                            checked.incrementAndGet();
                            at[1] = e.position();
                        }
                        if (!page.hasNext()) {
                            at[0] = Math.max(at[1], 0); // the end: from the last one checked next time
                            return;
                        }
                        at[0] = page.next();
                    }
                }
            };
            f.log.addCommitListener(check);
            int n = 0;
            for (int round = 0; round < 200; round++) {
                String stream = "s-" + (round % 7);
                int size = 1 + round % 5;
                NewEvent[] batch = new NewEvent[size];
                for (int i = 0; i < size; i++) {
                    batch[i] = event(++n);
                }
                f.append(stream, ExpectedVersion.ANY, batch);
            }
            f.log.removeCommitListener(check);
            assertEquals(List.of(), List.copyOf(missing), "events committed before their stream had them");
            assertTrue(checked.get() > n / 2, "the listener saw most events at their commit: " + checked.get() + " of " + n);
        }
    }
}
