package io.strand.store;

import io.strand.index.StreamCatalog;
import io.strand.index.StreamEntry;
import io.strand.index.StreamIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * Lists streams with events, in creation order, a page at a time (the cursor is a stream id),
 * skipping streams with no committed event and the store's own {@code $} streams.
 *
 * <p>Stateless and thread-safe; reads only memory (the catalog and each entry's versions). Apart
 * from {@link StreamReader} because it walks the catalog, not one stream.
 */
final class StreamLister {
    private final StreamIndex index;
    private final StreamCatalog catalog;
    private final StoreConfig config;
    private final StreamLifecycle lifecycle;

    StreamLister(StreamIndex index, StoreConfig config, StreamLifecycle lifecycle) {
        this.index = index;
        this.catalog = index.catalog();
        this.config = config;
        this.lifecycle = lifecycle;
    }

    StreamPage listStreams(long from, int limit) {
        return listStreams(from, limit, name -> true);
    }

    /**
     * Streams whose name {@code names} accepts (a prefix, what a caller may read). Memory only, but a
     * catalog of millions of names is not walked whole for one page: at most
     * {@link AllReader#scanLimit} entries are looked at, and {@code next} goes on from there.
     */
    StreamPage listStreams(long from, int limit, java.util.function.Predicate<String> names) {
        config.checkLimit(limit);
        List<StreamInfo> page = new ArrayList<>();
        int size = catalog.size();
        long id = Math.max(0, from);
        long budget = AllReader.scanLimit(limit);
        for (long scanned = 0; id < size && page.size() < limit && scanned < budget; id++, scanned++) {
            StreamEntry s = catalog.byId((int) id);
            long last = index.lastVersion(s);
            if (last >= 0 && !s.reserved() && names.test(s.name())) {
                StreamMetadata m = lifecycle.get(s.name());
                if (!m.tombstoned() && !m.deleted(last)) { // deleted streams leave the list
                    page.add(new StreamInfo(s.name(), m.firstWithoutAge(index.firstVersion(s), last), last));
                }
            }
        }
        return new StreamPage(page, id < size ? id : -1);
    }
}
