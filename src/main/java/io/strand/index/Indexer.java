package io.strand.index;

import io.strand.log.Checkpoint;
import io.strand.log.CommitLog;
import io.strand.log.CorruptRecordException;
import io.strand.log.LogCursor;
import io.strand.log.RecordDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Follows the committed log (RocketMQ's "reput" service) and writes an index entry for every event
 * to its segment's file in {@code index/entries/}, with new stream names to {@code index/streams}
 * ahead of them. Every checkpoint interval it forces the names, then the entries file being written
 * (earlier ones were forced when it moved past them), and then moves the index checkpoint to the
 * log position it has indexed, so a restart trusts entries below it and rebuilds the rest from the
 * log. Readers never wait for it: the store updates the in-memory index when it appends.
 *
 * <p>Woken by the log's commit listener rather than by a timer. One thread; during recovery the
 * opening thread drives it with {@link #catchUp} before the thread starts.
 */
final class Indexer implements Runnable {
    private final CommitLog log;
    private final StreamCatalog catalog;
    private final CatalogFile catalogFile;
    private final EntryFiles entryFiles;
    private final Checkpoint checkpoint;
    private final long checkpointIntervalNanos;
    private final LogCursor cursor;
    private final LongConsumer commitListener = p -> wake();
    private final Thread thread;

    private volatile boolean running = true;
    private volatile boolean sleeping;
    private volatile long indexedPosition;
    private volatile long checkpointedPosition;
    private volatile IOException failure;
    private long lastCheckpointNanos = System.nanoTime();

    Indexer(CommitLog log, StreamCatalog catalog, CatalogFile catalogFile, EntryFiles entryFiles, Checkpoint checkpoint,
            long checkpointIntervalNanos, long fromPosition) {
        this.log = log;
        this.catalog = catalog;
        this.catalogFile = catalogFile;
        this.entryFiles = entryFiles;
        this.checkpoint = checkpoint;
        this.checkpointIntervalNanos = checkpointIntervalNanos;
        this.cursor = log.cursor(fromPosition);
        this.indexedPosition = fromPosition;
        this.checkpointedPosition = -1; // the first checkpoint always writes: the old file may point past the log's tail
        this.thread = new Thread(this, "strand-indexer");
        this.thread.setDaemon(true);
    }

    /** What recovery does with each record it indexes (apply it to memory); null when live. */
    interface RecordSink {
        void accept(StreamEntry stream, long position, long version, long timestamp, long key);
    }

    /**
     * Indexes everything committed now; {@code sink} also sees each record. Returns records indexed.
     * A record whose CRC fails but whose lengths hold (the log counted and logged it) is still
     * indexed by its header, so the later versions of its stream keep their numbers and reads of it
     * answer corrupt-record; a record whose framing is broken stops indexing ({@link CorruptRecordException}).
     */
    long catchUp(RecordSink sink) throws IOException {
        long n = 0;
        while (next()) {
            ByteBuffer b = cursor.buffer();
            int at = cursor.offset();
            byte[] name = nameBytes(b, at);
            StreamEntry stream = catalog.getOrCreate(name); // the store created it before appending, but for recovery
            long version = RecordDescriptor.streamVersion(b, at);
            long timestamp = RecordDescriptor.timestamp(b, at);
            long key = DedupIndex.key(stream.id(), RecordDescriptor.idMsb(b, at), RecordDescriptor.idLsb(b, at));
            if (sink != null) {
                sink.accept(stream, cursor.position(), version, timestamp, key);
            }
            while (catalogFile.persisted() <= stream.id()) {
                catalogFile.append(catalog.byId(catalogFile.persisted()).nameBytes());
            }
            entryFiles.append(cursor.position(), version, timestamp, key, stream.id());
            n++;
        }
        indexedPosition = cursor.nextPosition();
        return n;
    }

    private boolean next() {
        try {
            return cursor.next();
        } catch (CorruptRecordException e) {
            if (!e.framingIntact()) {
                throw e;
            }
            return true; // the cursor stands on it: index it by its header
        }
    }

    private static byte[] nameBytes(ByteBuffer b, int at) {
        byte[] name = new byte[RecordDescriptor.streamLength(b, at)];
        b.get(RecordDescriptor.streamOffset(at), name);
        return name;
    }

    /** Forces names, then entries, then records the indexed position as the index checkpoint. */
    void checkpoint() throws IOException {
        long position = indexedPosition;
        if (position == checkpointedPosition) {
            return;
        }
        catalogFile.sync();
        entryFiles.sync();
        checkpoint.write(position);
        checkpointedPosition = position;
    }

    void start() {
        // Records from disk were verified by the opening catch-up; what follows is committed by this
        // process, which computed each CRC from these very bytes: readers verify what they serve.
        cursor.trustCommitted();
        log.addCommitListener(commitListener);
        thread.start();
    }

    private void wake() {
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void run() {
        try {
            while (running) {
                catchUp(null);
                long now = System.nanoTime();
                if (now - lastCheckpointNanos >= checkpointIntervalNanos) {
                    lastCheckpointNanos = now;
                    checkpoint();
                }
                sleeping = true;
                if (running && log.committedPosition() == indexedPosition) {
                    LockSupport.parkNanos(this, checkpointIntervalNanos);
                }
                sleeping = false;
            }
        } catch (IOException | RuntimeException e) {
            failure = e instanceof IOException io ? io : new IOException(e);
            System.getLogger(Indexer.class.getName()).log(System.Logger.Level.ERROR,
                    "indexer stopped at position " + indexedPosition + "; the index will be rebuilt from the log at restart", e);
        }
    }

    /** Stops the thread, indexes what is committed, and writes the final checkpoint. */
    void stop() throws IOException {
        running = false;
        log.removeCommitListener(commitListener);
        LockSupport.unpark(thread);
        if (thread.isAlive() || thread.getState() != Thread.State.NEW) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (failure == null) {
                catchUp(null);
                checkpoint();
            }
        } finally {
            cursor.close();
        }
    }

    long indexedPosition() {
        return indexedPosition;
    }

    long checkpointedPosition() {
        return checkpointedPosition;
    }

    boolean alive() {
        return thread.isAlive() && failure == null;
    }

    IOException failure() {
        return failure;
    }
}
