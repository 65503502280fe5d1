package io.strand.store;

/** A stream's first and last version (both -1 for a stream with no events yet). */
public record StreamInfo(String name, long firstVersion, long lastVersion) {
}
