package io.strand.index;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every stream the store knows, by name and by id. Ids are dense, given out in creation order, and
 * stable across restarts (the {@link CatalogFile} lists names in id order); they never appear in
 * the commit log, which carries names, so the log alone can always rebuild the catalog.
 *
 * <p>Names are looked up in an open-addressing table of entries keyed by their UTF-8 bytes (a
 * million streams cost ~8 bytes of table each, where a {@code ConcurrentHashMap} of strings costs
 * ~90). Lookups take no lock: the table only grows by publishing a new, complete array through a
 * volatile field, and an entry's identifying fields are final. A lookup racing a creation may miss
 * the new entry; {@link #getOrCreate} then finds it under the lock. The hash is seeded per process
 * so that chosen names cannot be made to collide.
 */
public final class StreamCatalog {
    private static final int SEED = ThreadLocalRandom.current().nextInt() | 1;

    private volatile StreamEntry[] table = new StreamEntry[1 << 10];
    private volatile StreamEntry[] byId = new StreamEntry[1 << 10];
    private volatile int count;

    public StreamEntry get(String name) {
        return get(name.getBytes(StandardCharsets.UTF_8));
    }

    public StreamEntry get(byte[] name) {
        return find(table, name, hash(name));
    }

    /**
     * As {@link #get(String)}, but under the creation lock, so it cannot miss a creation that raced
     * it: every entry created before it is seen, and a creation after it happens after everything the
     * caller did before calling it. For the rare lookups that must not miss (a subscription waiting
     * for a stream); {@link #get} is the fast one.
     */
    public synchronized StreamEntry getSettled(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return find(table, bytes, hash(bytes));
    }

    public StreamEntry getOrCreate(String name) {
        return getOrCreate(name.getBytes(StandardCharsets.UTF_8));
    }

    /** The entry for {@code name}, created (with the next id) when new. {@code name} is kept: do not modify it. */
    public StreamEntry getOrCreate(byte[] name) {
        int h = hash(name);
        StreamEntry e = find(table, name, h);
        return e != null ? e : create(name, h);
    }

    private static StreamEntry find(StreamEntry[] t, byte[] name, int h) {
        int mask = t.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            StreamEntry e = t[i];
            if (e == null) {
                return null;
            }
            if (e.hash() == h && Arrays.equals(e.nameBytes(), name)) {
                return e;
            }
        }
    }

    private synchronized StreamEntry create(byte[] name, int h) {
        StreamEntry e = find(table, name, h);
        if (e != null) {
            return e;
        }
        int id = count;
        StreamEntry[] ids = byId;
        if (id == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
            byId = ids;
        }
        e = new StreamEntry(id, name, h);
        ids[id] = e;
        StreamEntry[] t = table;
        if ((id + 1) * 2 > t.length) { // keep the load at most 1/2: short probes
            t = new StreamEntry[t.length * 2];
            for (int i = 0; i < id; i++) {
                insert(t, ids[i]);
            }
            insert(t, e);
            count = id + 1;
            table = t;
        } else {
            count = id + 1; // publish the id slot before the name becomes findable
            insert(t, e);
        }
        return e;
    }

    private static void insert(StreamEntry[] t, StreamEntry e) {
        int mask = t.length - 1;
        int i = e.hash() & mask;
        while (t[i] != null) {
            i = (i + 1) & mask;
        }
        t[i] = e;
    }

    private static int hash(byte[] name) {
        int h = SEED;
        for (byte b : name) {
            h = (h ^ b) * 0x01000193; // FNV-1a from a random basis
        }
        h ^= h >>> 16; // then spread it (murmur3 finaliser)
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >>> 16);
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
