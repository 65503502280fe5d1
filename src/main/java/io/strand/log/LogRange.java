package io.strand.log;

import java.nio.file.Path;

/**
 * Whole committed records {@code [position, position + length)} lying in one segment file at
 * {@code fileOffset}, for copying straight from the file (sendfile). {@code nextPosition} is where
 * the following record starts (or the committed position when there is none yet).
 */
public record LogRange(Path file, long fileOffset, int length, long position, long nextPosition) {
}
