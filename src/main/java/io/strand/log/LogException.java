package io.strand.log;

/** A failure of the log itself (I/O error, closed log, corrupt files) rather than of the caller's input. */
public class LogException extends RuntimeException {
    public LogException(String message) {
        super(message);
    }

    public LogException(String message, Throwable cause) {
        super(message, cause);
    }
}
