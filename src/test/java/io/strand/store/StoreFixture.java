package io.strand.store;

import io.strand.log.CommitLog;
import io.strand.log.FlushMode;
import io.strand.log.LogConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** A log and a store over a test directory, small segments so tests cross segment boundaries. */
final class StoreFixture implements AutoCloseable {
    final Path dir;
    final CommitLog log;
    final EventStore store;

    private StoreFixture(Path dir, CommitLog log, EventStore store) {
        this.dir = dir;
        this.log = log;
        this.store = store;
    }

    static LogConfig logConfig(Path dir) {
        return LogConfig.defaults(dir)
                .withSegmentSize(256 * 1024)
                .withPool(true, 4, 64 * 1024)
                .withFlush(FlushMode.ASYNC, Duration.ofMillis(20));
    }

    static StoreFixture open(Path dir) throws IOException {
        return open(logConfig(dir), StoreConfig.defaults());
    }

    /** With the pool off, appends write straight into the mapping and commit on the appending thread. */
    static StoreFixture openWithoutPool(Path dir) throws IOException {
        return open(logConfig(dir).withPool(false, 4, 64 * 1024), StoreConfig.defaults());
    }

    static StoreFixture open(LogConfig config, StoreConfig storeConfig) throws IOException {
        CommitLog log = CommitLog.open(config);
        try {
            return new StoreFixture(config.dataDir(), log, EventStore.open(log, storeConfig));
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
    }

    /** Appends and waits; rethrows the failure's cause. */
    AppendOutcome append(String stream, long expected, NewEvent... events) {
        try {
            return store.append(stream, List.of(events), expected, null).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Deletes the index files (the index is then rebuilt from the log at the next open). */
    static void deleteIndex(Path dir) throws IOException {
        try (var files = java.nio.file.Files.walk(dir.resolve("index"))) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir.resolve("index"))) {
                    java.nio.file.Files.delete(p);
                }
            }
        }
    }

    /** The index entries file of the log segment starting at {@code base}. */
    static Path entriesFile(Path dir, long base) {
        return dir.resolve("index").resolve("entries").resolve(io.strand.log.Segment.fileName(base));
    }

    /** Event {@code i} of a test: its id and content are a pure function of {@code i}. */
    static NewEvent event(long i) {
        return new NewEvent(new UUID(0x5354L, i), "Type" + (i % 3),
                ("{\"i\":" + i + ",\"pad\":\"" + "x".repeat((int) (i % 50)) + "\"}").getBytes(StandardCharsets.UTF_8),
                i % 4 == 0 ? ("{\"m\":" + i + "}").getBytes(StandardCharsets.UTF_8) : null, false);
    }

    static List<NewEvent> events(long from, int n) {
        List<NewEvent> list = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            list.add(event(from + k));
        }
        return list;
    }

    static void assertEvent(NewEvent expected, RecordedEvent actual) {
        if (!expected.id().equals(actual.id()) || !expected.type().equals(actual.type())
                || !java.util.Arrays.equals(expected.data(), actual.data())
                || !java.util.Arrays.equals(expected.metadata(), actual.metadata()) || expected.binary() != actual.binary()) {
            throw new AssertionError("event differs: expected id=" + expected.id() + " type=" + expected.type()
                    + ", actual " + actual);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            store.close();
        } finally {
            log.close();
        }
    }
}
