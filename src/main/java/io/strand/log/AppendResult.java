package io.strand.log;

/**
 * Where an appended batch landed: {@code [position, endPosition)} in the log, stream versions
 * {@code firstVersion .. firstVersion + count - 1}.
 */
public record AppendResult(long position, long endPosition, long firstVersion, int count) {
    public long lastVersion() {
        return firstVersion + count - 1;
    }
}
