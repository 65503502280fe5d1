package io.strand.index;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every stream the store knows, by name and by id. Ids are dense, given out in creation order, and
 * stable across restarts (the {@link CatalogFile} lists names in id order); they never appear in
 * the commit log, which carries names, so the log alone can always rebuild the catalog.
 */
public final class StreamCatalog {
    private final ConcurrentHashMap<String, StreamEntry> byName = new ConcurrentHashMap<>();
    private volatile StreamEntry[] byId = new StreamEntry[1024];
    private volatile int count;

    public StreamEntry get(String name) {
        return byName.get(name);
    }

    /** The entry for {@code name}, created (with the next id) when new. */
    public StreamEntry getOrCreate(String name) {
        StreamEntry e = byName.get(name);
        return e != null ? e : create(name);
    }

    private synchronized StreamEntry create(String name) {
        StreamEntry e = byName.get(name);
        if (e != null) {
            return e;
        }
        int id = count;
        StreamEntry[] ids = byId;
        if (id == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
            byId = ids;
        }
        e = new StreamEntry(id, name);
        ids[id] = e;
        count = id + 1; // publish the slot before the name becomes findable
        byName.put(name, e);
        return e;
    }

    /** The stream with this id, or null. */
    public StreamEntry byId(int id) {
        int n = count;
        return id >= 0 && id < n ? byId[id] : null;
    }

    /** Streams created so far (ids are {@code 0 .. size()-1}). */
    public int size() {
        return count;
    }
}
