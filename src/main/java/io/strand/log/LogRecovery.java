package io.strand.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * Brings the commit log directory to a consistent state before the log opens, in named passes
 * (after Kafka's LogLoader):
 * <ol>
 *   <li>{@link #listSegments}: drop temporary files, check names, sizes and contiguity;</li>
 *   <li>{@link #readMarkers}: the clean-shutdown marker and the checkpoint;</li>
 *   <li>{@link #refuseOtherFormat}: a log of another record format (an older Strand's) is refused,
 *       here and wherever the scan meets one, rather than truncated as a torn tail;</li>
 *   <li>{@link #scanTail}: after a crash, validate every record from the checkpoint on and stop at
 *       the end of the last complete batch before the first invalid record;</li>
 *   <li>{@link #truncate}: zero everything after that tail in its segment and delete later
 *       segments, so nothing beyond the tail is ever read back, then consume the marker;</li>
 *   <li>{@link #lastBatch}: the last batch before the tail, whose timestamp and raft index the
 *       appender continues from.</li>
 * </ol>
 * Not thread-safe: runs once, before any writer or reader exists.
 */
final class LogRecovery {
    private static final Logger LOG = Logger.getLogger(LogRecovery.class.getName());

    /**
     * What recovery found: the segments to keep (mapped, one reference each) and the tail.
     * {@code flushed} is how far the bytes are known to be on disk: the tail after a clean stop,
     * else where the scan started (the checkpoint). Bytes after it survived the crashed process in
     * the page cache, but maybe not on disk yet, so the flush thread must force them again.
     */
    record Recovered(Segment[] segments, long tail, long flushed, boolean clean, long checkpoint, long scannedBytes,
                     long truncatedBytes, String stopReason, LastBatch last) {
        /** Drops the one reference recovery took on each segment: for an open that fails after recovery. */
        void release() {
            for (Segment s : segments) {
                s.release();
            }
        }
    }

    private final LogConfig config;
    private final Path dir;
    private final int segmentSize;
    private final RecoveryProgress progress;

    LogRecovery(LogConfig config) {
        this(config, new RecoveryProgress());
    }

    LogRecovery(LogConfig config, RecoveryProgress progress) {
        this.config = config;
        this.progress = progress;
        this.dir = config.commitLogDir();
        this.segmentSize = config.segmentSize();
    }

    Recovered recover() throws IOException {
        Files.createDirectories(dir);
        TreeMap<Long, Path> files = listSegments();
        Checkpoint cleanMarker = Checkpoint.cleanShutdownMarker(config.dataDir());
        Checkpoint checkpoint = Checkpoint.checkpoint(config.dataDir());
        long clean = cleanMarker.read();
        long checkpointPosition = checkpoint.read();

        if (files.isEmpty() && (checkpointPosition > 0 || clean > 0)) {
            // The markers say the log held data, but its segments are gone (a wiped or wrong
            // commitlog/ directory): starting at the marker's position would hide the loss behind
            // a hole, and starting at 0 would reuse positions the index and consumers already know.
            throw new LogException("the checkpoint says the log reached position " + Math.max(checkpointPosition, clean)
                    + " but " + dir + " holds no segment: restore the segments, or remove "
                    + checkpoint.file() + " and " + cleanMarker.file() + " to start an empty log");
        }
        List<Segment> opened = new ArrayList<>();
        try {
            for (var e : files.entrySet()) {
                opened.add(Segment.open(e.getValue(), e.getKey(), segmentSize));
            }
            if (!opened.isEmpty()) {
                refuseOtherFormat(opened.get(0), 0); // every record of a log written before format 2 is older
            }
            long first = opened.isEmpty() ? 0 : opened.get(0).basePosition();
            long tail;
            long flushed;
            long scanned = 0;
            long lastBatch = -1;
            String stopReason;
            if (clean >= 0 && clean >= first && (opened.isEmpty() ? clean == 0 : clean <= lastEnd(opened))) {
                tail = clean;
                flushed = clean;
                stopReason = "clean-shutdown";
            } else {
                long from = Math.max(first, Math.max(0, checkpointPosition));
                if (!opened.isEmpty() && from > lastEnd(opened)) {
                    throw new LogException("checkpoint beyond the last segment: checkpoint=" + checkpointPosition
                            + ", lastSegmentEnd=" + lastEnd(opened) + ", dir=" + dir);
                }
                ScanOutcome outcome = scanTail(opened, from);
                tail = outcome.tail;
                flushed = Math.min(from, tail);
                scanned = tail - from;
                stopReason = outcome.reason;
                lastBatch = outcome.lastBatch;
            }
            long truncated = truncate(opened, tail, clean < 0);
            LastBatch last = lastBatch(opened, tail, lastBatch, checkpointPosition);
            if (clean >= 0) {
                cleanMarker.delete();
            }
            LOG.info("commit log recovered: dir=" + dir + ", tail=" + tail + ", clean=" + (clean >= 0)
                    + ", checkpoint=" + checkpointPosition + ", scannedBytes=" + scanned
                    + ", truncatedSegments=" + truncated + ", stop=" + stopReason + ", lastRaftIndex=" + last.raftIndex());
            return new Recovered(opened.toArray(new Segment[0]), tail, flushed, clean >= 0, checkpointPosition, scanned,
                    truncated, stopReason, last);
        } catch (IOException | RuntimeException e) {
            for (Segment s : opened) {
                s.release();
            }
            throw e;
        }
    }

    private static long lastEnd(List<Segment> segments) {
        return segments.get(segments.size() - 1).endPosition();
    }

    /** Pass 1: segment files by base position; temporary leftovers of an interrupted creation are removed. */
    TreeMap<Long, Path> listSegments() throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (name.endsWith(".tmp")) {
                    Files.delete(p);
                    continue;
                }
                long base = Segment.parseFileName(name);
                if (base < 0) {
                    continue;
                }
                if (base % segmentSize != 0) {
                    throw new LogException("segment base is not a multiple of the segment size (was the size changed?): file="
                            + p + ", segmentSize=" + segmentSize);
                }
                long size = Files.size(p);
                if (size != segmentSize) {
                    throw new LogException("segment has the wrong size (was strand.log.segment-size changed?): file="
                            + p + ", expected=" + segmentSize + ", actual=" + size);
                }
                files.put(base, p);
            }
        }
        long expected = -1;
        for (long base : files.keySet()) {
            if (expected >= 0 && base != expected) {
                throw new LogException("segments are not contiguous: missing=" + Segment.fileName(expected) + ", dir=" + dir);
            }
            expected = base + segmentSize;
        }
        return files;
    }

    /** {@code lastBatch}: where the last complete batch the scan walked starts, -1 if none. */
    private record ScanOutcome(long tail, String reason, long lastBatch) {
    }

    /** Pass 3: validates records from {@code from}; returns the end of the last complete batch. */
    ScanOutcome scanTail(List<Segment> segments, long from) {
        TailScanner scanner = new TailScanner();
        long position = from;
        long lastBatch = -1;
        long end = segments.isEmpty() ? from : lastEnd(segments);
        progress.phase("log-scan", end - from);
        for (Segment s : segments) {
            if (s.endPosition() <= position) {
                continue;
            }
            long base = s.basePosition();
            TailScanner.Result r = scanner.scan(s.buffer(), (int) (position - base),
                    offset -> progress.done(base + offset - from));
            if (r.stopCode() == RecordDescriptor.BAD_VERSION) {
                refuseOtherFormat(s, r.stopOffset());
            }
            if (r.lastBatchOffset() >= 0) {
                lastBatch = base + r.lastBatchOffset();
            }
            if (!r.endOfSegment()) {
                String reason = RecordDescriptor.describe(r.stopCode()) + "@" + (s.basePosition() + r.stopOffset());
                return new ScanOutcome(s.basePosition() + r.validEnd(), reason, lastBatch);
            }
            position = s.endPosition();
        }
        return new ScanOutcome(position, "end-of-segments", lastBatch);
    }

    /**
     * Pass 5: the last batch before {@code tail}. A crash scan that walked a complete batch found it
     * ({@code scanned}); otherwise records are walked, and verified as the scan does, from the
     * nearest record boundary known: the checkpoint when it lies in the last record's segment, else
     * that segment's start. The fallback reads every record header of up to one segment, as much I/O
     * as a crash scan of the whole segment; it runs whenever the checkpoint is at the tail (a clean
     * close leaves it there, and a crash after which no batch was past it).
     */
    LastBatch lastBatch(List<Segment> segments, long tail, long scanned, long checkpoint) {
        if (segments.isEmpty() || tail <= segments.get(0).basePosition()) {
            return LastBatch.NONE; // an empty log, or one whose every record retention deleted
        }
        long position = scanned;
        long lastSegment = tail - 1 - (tail - 1) % segmentSize;
        if (position < 0 && checkpoint > lastSegment && checkpoint < tail) {
            position = walkToTail(segments, checkpoint, tail); // -1 when only a marker lies after it
        }
        if (position < 0) {
            position = walkToTail(segments, lastSegment, tail);
        }
        if (position < 0) {
            throw new LogException("no record before the tail: tail=" + tail + ", dir=" + dir); // a segment never starts with a marker
        }
        Segment s = segments.get((int) ((position - segments.get(0).basePosition()) / segmentSize));
        int offset = (int) (position - s.basePosition());
        return new LastBatch(position, RecordDescriptor.timestamp(s.buffer(), offset),
                RecordDescriptor.raftIndex(s.buffer(), offset));
    }

    /** Verifies the records of {@code [from, tail)}, which must end at the tail; returns where the last batch starts, or -1. */
    private long walkToTail(List<Segment> segments, long from, long tail) {
        TailScanner scanner = new TailScanner();
        long lastBatch = -1;
        long position = from;
        for (Segment s : segments) {
            if (s.endPosition() <= position) {
                continue;
            }
            long base = s.basePosition();
            int limit = (int) (Math.min(tail, s.endPosition()) - base);
            TailScanner.Result r = scanner.scan(s.buffer(), (int) (position - base), limit, null);
            if (r.stopCode() == RecordDescriptor.BAD_VERSION) {
                refuseOtherFormat(s, r.stopOffset());
            }
            if (r.lastBatchOffset() >= 0) {
                lastBatch = base + r.lastBatchOffset();
            }
            if (!r.endOfSegment()) {
                // Below the tail everything was flushed or verified: damage here is not a torn tail.
                throw new LogException("the log fails verification below its tail, so its last record is unknown: position="
                        + (base + r.stopOffset()) + ", found=" + RecordDescriptor.describe(r.stopCode()) + ", tail=" + tail
                        + ", dir=" + dir);
            }
            position = base + limit;
            if (position >= tail) {
                break;
            }
        }
        return lastBatch;
    }

    /**
     * Throws when the record at {@code offset} of {@code s} is a whole record of another format
     * version: a log an older Strand wrote is not a torn tail, and truncating it would drop it all.
     */
    void refuseOtherFormat(Segment s, int offset) {
        ByteBuffer b = s.buffer();
        if (RecordDescriptor.isRecordOfAnotherFormat(b, b.duplicate(), new CRC32C(), offset, s.size())) {
            int version = RecordDescriptor.version(b, offset);
            throw new LogException("record format " + version + " at position=" + (s.basePosition() + offset)
                    + " was written by " + (version < RecordDescriptor.VERSION ? "an older" : "a newer")
                    + " Strand; this version reads format " + RecordDescriptor.VERSION + " only and changed nothing:"
                    + " open the data directory with the Strand that wrote it, or start from an empty one; dir=" + dir);
        }
    }

    /**
     * Pass 4: zeroes {@code [tail, end)} of the tail's segment (after a crash) and deletes every
     * segment that starts at or after the tail. Returns how many segments it deleted.
     */
    long truncate(List<Segment> segments, long tail, boolean zeroTail) throws IOException {
        long deleted = 0;
        for (int i = segments.size() - 1; i >= 0; i--) {
            Segment s = segments.get(i);
            if (s.basePosition() < tail) {
                if (zeroTail && tail < s.endPosition()) {
                    zero(s, (int) (tail - s.basePosition()));
                }
                break;
            }
            segments.remove(i);
            s.markForDeletion();
            s.release();
            deleted++;
        }
        if (deleted > 0) {
            DirectorySync.sync(dir);
        }
        return deleted;
    }

    /** Zeroes a segment from {@code offset} to its end and forces it, so a torn tail is never read back. */
    static void zero(Segment s, int offset) throws IOException {
        int pageStart = (offset + Segment.PAGE_SIZE - 1) & -Segment.PAGE_SIZE;
        FileChannel ch = s.channel();
        Segment.writeZeros(ch, offset, Math.min(pageStart, s.size()));
        if (pageStart < s.size() && NativeIO.zeroRange(s.file(), pageStart, s.size() - pageStart) != 0) {
            Segment.writeZeros(ch, pageStart, s.size());
        }
        ch.force(false);
    }
}
