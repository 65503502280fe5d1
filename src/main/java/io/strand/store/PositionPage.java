package io.strand.store;

/**
 * A page of events as log positions: {@code positions[0..count)} in page order, and where the next
 * page starts ({@code next}: a version for stream reads, a log position for {@code $all}; -1 at the end).
 */
public record PositionPage(long[] positions, int count, long next) {
}
