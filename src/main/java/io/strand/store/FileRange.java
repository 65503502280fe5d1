package io.strand.store;

import java.nio.file.Path;

/**
 * Whole committed records {@code [position, position + length)} lying in one segment file at
 * {@code fileOffset}, for copying straight from the file to a socket (sendfile). {@code nextPosition}
 * is where the following record starts (or the committed position when there is none yet). Empty
 * ({@code length} 0, {@code file} null) when nothing is committed at {@code position} yet.
 */
public record FileRange(Path file, long fileOffset, int length, long position, long nextPosition) {
}
