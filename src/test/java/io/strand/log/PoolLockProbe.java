package io.strand.log;

import java.nio.file.Path;

/**
 * Child-JVM main for {@link PoolLockTest}: opens a log with a 4 x 4 MiB pool, appends and reads
 * back one record, and prints what the pool reports about its memory lock.
 */
public final class PoolLockProbe {
    public static void main(String[] args) throws Exception {
        LogConfig config = LogConfig.defaults(Path.of(args[0])).withSegmentSize(1 << 20).withPool(true, 4, 4 << 20);
        try (CommitLog log = CommitLog.open(config)) {
            TransientStorePool pool = log.pool();
            AppendResult r = log.append(new EventRecord[] {TestRecords.record(5)}, 1, 0).toCompletableFuture().get();
            boolean readBack;
            try (LogCursor c = log.cursor(r.position())) {
                readBack = c.next();
                TestRecords.assertRecord(c, 5, 0);
            }
            System.out.println("locked=" + pool.memoryLocked() + " lockedBuffers=" + pool.lockedBuffers()
                    + " errno=" + pool.lockErrno() + " append=" + (readBack ? "ok" : "missing"));
        }
    }
}
