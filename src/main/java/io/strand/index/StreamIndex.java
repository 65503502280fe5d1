package io.strand.index;

import io.strand.log.Checkpoint;
import io.strand.log.CommitLog;
import io.strand.log.LogSlice;
import io.strand.log.RecoveryProgress;
import io.strand.log.RecordDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongPredicate;

/**
 * The stream catalog and per-stream index over a {@link CommitLog}: resolves (stream, version) to a
 * log position in O(1), knows each stream's last version, and remembers recent event ids.
 *
 * <p>In memory it is a {@link StreamCatalog} of {@link StreamEntry} position arrays and a
 * {@link DedupIndex}; on disk, {@code index/streams}, {@code index/entries/} (one file per log
 * segment, deleted with it by retention) and the index checkpoint,
 * written by the {@link Indexer} thread (formats in docs/FORMAT.md). Opening reconciles them with the
 * recovered log: entries at or beyond the index checkpoint or the log's tail are cut off, and the
 * log from the last trusted entry is indexed again. So after any crash the index never points past
 * the log and never misses an event the log holds.
 *
 * <p>The store keeps the in-memory index current as it appends: it {@link #stage}s and
 * {@link #publish}es a batch's versions before the log can commit the batch, and a version is
 * visible once its position is below the log's committed position.
 */
public final class StreamIndex implements AutoCloseable {
    public static final int CHECKPOINT_MAGIC = 0x58444953; // "SIDX" little-endian
    /** A stream's first versions are checked for repeats by scanning its own index, not the dedup index. */
    public static final int SCAN_VERSIONS = 64;
    private static final System.Logger LOG = System.getLogger(StreamIndex.class.getName());

    private final CommitLog log;
    private final StreamCatalog catalog;
    private final DedupIndex dedup;
    private final CatalogFile catalogFile;
    private final EntryFiles entryFiles;
    private final Indexer indexer;
    private final long loadedEntries;
    private final long rebuiltEntries;
    private static final String FLOORS = "floors";
    private final Path floorsFile;

    private StreamIndex(CommitLog log, StreamCatalog catalog, DedupIndex dedup, CatalogFile catalogFile,
                        EntryFiles entryFiles, Indexer indexer, long loadedEntries, long rebuiltEntries, Path floorsFile) {
        this.floorsFile = floorsFile;
        this.log = log;
        this.catalog = catalog;
        this.dedup = dedup;
        this.catalogFile = catalogFile;
        this.entryFiles = entryFiles;
        this.indexer = indexer;
        this.loadedEntries = loadedEntries;
        this.rebuiltEntries = rebuiltEntries;
    }

    /** Loads the index of {@code log} from {@code config.dataDir()/index}, catches up with the log, and starts the indexer. */
    public static StreamIndex open(CommitLog log, IndexConfig config) throws IOException {
        return open(log, config, new RecoveryProgress());
    }

    /** As {@link #open(CommitLog, IndexConfig)}, reporting progress (phases index-load, index-rebuild). */
    public static StreamIndex open(CommitLog log, IndexConfig config, RecoveryProgress progress) throws IOException {
        Path dir = config.dataDir().resolve("index");
        Files.createDirectories(dir);
        StreamCatalog catalog = new StreamCatalog();
        DedupIndex dedup = new DedupIndex(config.dedupWindow().toMillis(), config.dedupMaxEntries());
        // The window before the log's last record, not before now: a replica that was down re-applies old
        // entries, whose repeat checks need the ids of the window before them (docs/CLUSTER.md).
        long dedupFrom = Math.min(System.currentTimeMillis(), log.lastTimestamp()) - config.dedupWindow().toMillis();
        CatalogFile catalogFile = new CatalogFile(dir.resolve("streams"));
        EntryFiles entryFiles = null;
        try {
            Path entries = dir.resolve("entries");
            if (Files.isRegularFile(entries)) {
                // One file for the whole log (before entries were kept per segment): the index is
                // derived data, so it is simplest to drop it and index the log again.
                Files.delete(entries);
                LOG.log(System.Logger.Level.INFO, "index: deleted index/entries of an earlier version (one file for "
                        + "the whole log); the index is rebuilt from the log from position {0}", log.firstPosition());
            }
            entryFiles = new EntryFiles(entries, log.config().segmentSize());
            Checkpoint checkpoint = new Checkpoint(dir.resolve("checkpoint"), CHECKPOINT_MAGIC);

            int header = catalogFile.checkHeader();
            if (header != IndexHeaderDescriptor.VALID) {
                // Stream ids in the entries files refer to this file's order: without a trusted
                // catalog nothing of the index is, and all of it is rebuilt from the log.
                LOG.log(System.Logger.Level.INFO, "index: index/streams has no valid header ({0}); the whole index is "
                        + "rebuilt from the log from position {1}", IndexHeaderDescriptor.describe(header),
                        log.firstPosition());
                catalogFile.reset();
                entryFiles.deleteAll();
                checkpoint.delete();
            }
            catalogFile.load(catalog::getOrCreate);
            long checkpointed = Math.max(checkpoint.read(), 0);
            // Entries below the checkpoint were forced to disk; the log may have lost a tail the
            // index had seen (power loss before the log's flush), so the log's tail bounds them too.
            long trusted = Math.min(checkpointed, log.committedPosition());
            long[] last = {-1};
            long[] count = {0};
            progress.phase("index-load", entryFiles.bytes());
            // Files of segments retention deleted are skipped (and deleted): the index drops them.
            long loaded = entryFiles.load(log.firstPosition(), e -> {
                if ((++count[0] & 0xFFFF) == 0) {
                    progress.done(count[0] * EntryDescriptor.LENGTH);
                }
                StreamEntry s = catalog.byId(e.streamId);
                if (e.position >= trusted || s == null) {
                    return false;
                }
                if (s.assigned() == s.base() && e.version > s.assigned()) {
                    s.startAt(e.version); // the stream's head was deleted
                }
                if (e.version != s.assigned()) {
                    return false;
                }
                index(s, e.position, e.key, e.timestamp, dedup, dedupFrom);
                last[0] = e.position;
                return true;
            });
            // Streams whose every event retention deleted go on at their next version (StreamFloors).
            StreamFloors.read(dir.resolve(FLOORS)).forEach((name, next) -> {
                StreamEntry s = catalog.get(name);
                if (s != null && s.assigned() == s.base() && s.assigned() < next) {
                    s.startAt(next);
                }
            });
            long resume = last[0] < 0 ? log.firstPosition() : endOf(log, last[0]);
            Indexer indexer = new Indexer(log, catalog, catalogFile, entryFiles, checkpoint,
                    config.checkpointInterval().toNanos(), resume);
            long committed = log.committedPosition();
            progress.phase("index-rebuild", committed - resume);
            count[0] = 0;
            long rebuilt = indexer.catchUp((stream, position, version, timestamp, key) -> {
                if ((++count[0] & 0xFFF) == 0) {
                    progress.done(position - resume);
                }
                if (stream.assigned() == stream.base() && version > stream.assigned()) {
                    stream.startAt(version); // the stream's head was deleted by retention
                }
                if (version != stream.assigned()) {
                    throw new IllegalStateException("the log holds version " + version + " of stream " + stream.name()
                            + " at position " + position + " where version " + stream.assigned() + " was expected");
                }
                index(stream, position, key, timestamp, dedup, dedupFrom);
            });
            indexer.checkpoint();
            if (rebuilt > 0) {
                LOG.log(System.Logger.Level.INFO, "index: loaded {0} entries, rebuilt {1} from the log (from position {2})",
                        loaded, rebuilt, resume);
            }
            StreamIndex index = new StreamIndex(log, catalog, dedup, catalogFile, entryFiles, indexer, loaded, rebuilt,
                    dir.resolve(FLOORS));
            indexer.start();
            return index;
        } catch (IOException | RuntimeException e) {
            catalogFile.close();
            if (entryFiles != null) {
                entryFiles.close();
            }
            throw e;
        }
    }

    /**
     * Adds the next version of {@code stream}. Its id fingerprint is kept beside its position, which
     * is how repeats of a stream's first {@link #SCAN_VERSIONS} events are found (by scanning, so
     * most streams cost the dedup index nothing); later versions go to the {@link DedupIndex}, except
     * those of the store's own {@code $} streams, whose ids are fresh and never checked for repeats.
     */
    private static void index(StreamEntry stream, long position, long key, long timestamp, DedupIndex dedup,
                              long dedupFrom) {
        int version = stream.written();
        stream.stage(position, key);
        stream.publish();
        if (timestamp >= dedupFrom) {
            remember(dedup, stream, version, key, position, timestamp);
        }
    }

    /** The one rule for which ids the dedup index holds: past the scanned versions, not the store's own streams. */
    private static void remember(DedupIndex dedup, StreamEntry stream, long version, long key, long position, long timestamp) {
        if (version >= SCAN_VERSIONS && !stream.reserved()) {
            dedup.insert(key, position, timestamp);
        }
    }

    private static long endOf(CommitLog log, long position) {
        // Its length only, unverified: a corrupt last entry must not stop the open (reads report it).
        try (LogSlice s = log.read(position, RecordDescriptor.HEADER_LENGTH)) {
            return position + RecordDescriptor.align(RecordDescriptor.length(s.buffer(), 0));
        }
    }

    public StreamCatalog catalog() {
        return catalog;
    }

    public DedupIndex dedup() {
        return dedup;
    }

    /**
     * Stages the next version of {@code stream} at {@code position}, one event of an atomic batch, without its id (see {@link #remember}):
     * readers do not see it until {@link #publish} makes the whole batch visible at once. Called
     * before the log can commit the batch, so a reader that meets the batch in the log finds it in
     * the stream too. Caller holds the stream's monitor.
     */
    public void stage(StreamEntry stream, long position, long idMsb, long idLsb) {
        stream.stage(position, DedupIndex.key(stream.id(), idMsb, idLsb));
    }

    /** Makes room for {@code count} versions to {@link #stage} without growing the stream's array. Caller holds the stream's monitor. */
    public void makeRoom(StreamEntry stream, int count) {
        stream.makeRoom(count);
    }

    /** Publishes the versions {@link #stage}d since the last publish. Caller holds the stream's monitor. */
    public void publish(StreamEntry stream) {
        stream.publish();
    }

    /** Forgets the versions {@link #stage}d since the last publish (their batch was refused). Caller holds the stream's monitor. */
    public void unstage(StreamEntry stream) {
        stream.unstage();
    }

    /**
     * Remembers the id of {@code version} of {@code stream}, staged at {@code position}, for the
     * repeat check (after the log took the batch: only appenders, under the monitor, look ids up).
     * Caller holds the stream's monitor.
     */
    public void remember(StreamEntry stream, long version, long position, long idMsb, long idLsb, long timestamp) {
        remember(dedup, stream, version, DedupIndex.key(stream.id(), idMsb, idLsb), position, timestamp);
    }

    /**
     * Finds where event id {@code (idMsb, idLsb)} was appended to {@code stream} (within the dedup
     * window, or ever for the stream's first {@link #SCAN_VERSIONS} versions): each candidate
     * position whose fingerprint matches is passed to {@code confirm} (which reads the record)
     * until one is confirmed. Returns its position, or -1. Caller holds the stream's monitor.
     */
    public long find(StreamEntry stream, long idMsb, long idLsb, LongPredicate confirm) {
        long key = DedupIndex.key(stream.id(), idMsb, idLsb);
        int fingerprint = StreamEntry.fingerprint(key);
        int assigned = stream.assigned();
        for (int v = stream.base(), n = Math.min(assigned, SCAN_VERSIONS); v < n; v++) {
            if (stream.fingerprint(v) == fingerprint) {
                long p = stream.position(v);
                if (confirm.test(p)) {
                    return p;
                }
            }
        }
        return assigned > SCAN_VERSIONS ? dedup.find(key, confirm) : -1;
    }

    /**
     * The log position of the first indexed event at or after {@code timestamp} (epoch ms), or, when
     * every event the entries files on disk know is older, {@code -(p + 2)} for the last one's
     * position {@code p} ({@code -1}: none): the caller then reads the log forward from there. Reads
     * files: not for an event loop.
     */
    public long seekTime(long timestamp) throws IOException {
        TimeSeek.Found f = entryFiles.seekTime(timestamp);
        return f.exact() ? f.position() : -(f.position() + 2);
    }

    /**
     * Makes a stream that holds no versions go on at {@code version} (when it is not there yet): a
     * soft-deleted stream whose events retention deleted before a restart continues after its
     * delete's mark, as it would have before the restart.
     */
    public void startAt(StreamEntry stream, long version) {
        synchronized (stream) {
            if (stream.assigned() == stream.base() && stream.assigned() < version) {
                stream.startAt(version);
            }
        }
    }

    /**
     * The stream's first version still in the log (retention deletes whole old segments), found by
     * binary search over its positions; {@code lastVersion + 1} when none is left.
     */
    public long firstVersion(StreamEntry stream) {
        long first = log.firstPosition();
        long lo = stream.base();
        long hi = stream.assigned(); // positions grow with versions
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            if (stream.position(mid) < first) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * Before retention deletes the log below {@code cut}: records the next version of every stream
     * none of whose events lies at or above it ({@link StreamFloors}), durably.
     */
    public void recordFloors(long cut) throws IOException {
        java.util.Map<String, Long> floors = new java.util.LinkedHashMap<>();
        for (int id = 0, n = catalog.size(); id < n; id++) {
            StreamEntry s = catalog.byId(id);
            if (s == null) {
                continue;
            }
            synchronized (s) {
                int next = s.assigned();
                if (next > 0 && (next == s.base() || s.position(next - 1) < cut)) {
                    floors.put(s.name(), (long) next);
                }
            }
        }
        StreamFloors.write(floorsFile, floors);
    }

    /**
     * Drops from memory the versions whose records lie below {@code firstPosition}: retention
     * deleted the segments holding them. Each stream is trimmed under its monitor (as an append
     * holds it); a stream left without versions keeps its catalog entry and its next version, and
     * reads below a stream's first held version keep answering "gone". Then the entries files of
     * the deleted segments are deleted. Returns how many versions were dropped from memory.
     */
    public long dropBefore(long firstPosition) throws IOException {
        long dropped = 0;
        for (int id = 0, n = catalog.size(); id < n; id++) {
            StreamEntry s = catalog.byId(id);
            if (s == null) {
                continue;
            }
            int base = s.base();
            if (s.assigned() == base || s.position(base) >= firstPosition) {
                continue; // nothing held below it (a racing trim or append only moves it up)
            }
            synchronized (s) {
                dropped += s.trim(firstPosition);
            }
        }
        entryFiles.deleteBefore(firstPosition);
        return dropped;
    }

    /** The stream's last committed version, or -1 when none of its events is committed. */
    public long lastVersion(StreamEntry stream) {
        long committed = log.committedPosition();
        int n = stream.assigned();
        // Only the versions of appends still in flight lie at or beyond the committed position.
        while (n > stream.base() && stream.position(n - 1) >= committed) {
            n--;
        }
        return n - 1;
    }

    /** Entries read from disk at open, and entries rebuilt from the log at open. */
    public long loadedEntries() {
        return loadedEntries;
    }

    public long rebuiltEntries() {
        return rebuiltEntries;
    }

    /** Log position up to which entries are written (not necessarily forced). */
    public long indexedPosition() {
        return indexer.indexedPosition();
    }

    public long checkpointedPosition() {
        return indexer.checkpointedPosition();
    }

    /** False when the indexer thread died (the index on disk then lags; it is rebuilt at restart). */
    public boolean indexerAlive() {
        return indexer.alive();
    }

    /**
     * Indexes what is committed, forces the files and writes the index checkpoint. Call it after the
     * log stopped taking appends and before the log is closed.
     */
    @Override
    public void close() throws IOException {
        try {
            indexer.stop();
        } finally {
            catalogFile.close();
            entryFiles.close();
        }
    }
}
