package io.strand.store;

import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;

import java.util.function.Consumer;

/**
 * Reading back one of the store's own streams at open ({@code $groups}, {@code $meta}): every event
 * still held, in log order. A record that fails its CRC is skipped, not fatal (the log counts and
 * logs it; the owner logs what it loses): the state falls back to the previous record's.
 */
final class SystemStream {
    private static final System.Logger LOG = System.getLogger(SystemStream.class.getName());

    private SystemStream() {
    }

    static void forEach(StreamIndex index, RecordReader records, String stream, Consumer<RecordedEvent> apply) {
        StreamEntry s = index.catalog().get(stream);
        if (s == null) {
            return;
        }
        long last = index.lastVersion(s);
        for (long v = index.firstVersion(s); v <= last; v++) {
            RecordedEvent e;
            try {
                e = records.copy(s.position(v));
            } catch (CorruptEventException corrupt) {
                LOG.log(System.Logger.Level.ERROR, stream + " event skipped: version=" + v + ", " + corrupt.getMessage());
                continue;
            }
            apply.accept(e);
        }
    }
}
