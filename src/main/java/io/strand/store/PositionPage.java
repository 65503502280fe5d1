package io.strand.store;

/**
 * A page of events as log positions: {@code positions[0..count)} in page order, and where the next
 * page starts ({@code next}: a version for stream reads, a log position for {@code $all}; -1 at the end).
 */
public record PositionPage(long[] positions, int count, long next) {
    /** The positions of a page of views (a filtered page, for the binary format); closes the views. */
    static PositionPage of(ViewPage page) {
        try (page) {
            long[] positions = new long[page.size()];
            for (int i = 0; i < positions.length; i++) {
                positions[i] = page.events().get(i).position();
            }
            return new PositionPage(positions, positions.length, page.next());
        }
    }
}
