package io.strand.log;

/**
 * Told where a batch goes, under the log's append lock, after its records are written into the
 * write path and before they can commit: whatever it records about them (the store's stream index)
 * is in place before any reader can see them in the log. It must be quick and take no lock another
 * appender could hold; if it throws, the append is refused and nothing of the batch is published.
 */
@FunctionalInterface
public interface Placement {
    Placement NONE = position -> { };

    void placed(long position);
}
