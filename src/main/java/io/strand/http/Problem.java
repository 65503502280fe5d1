package io.strand.http;

import io.strand.store.IdempotencyConflictException;
import io.strand.store.InvalidRequestException;
import io.strand.store.PositionGoneException;
import io.strand.store.StoreFailure;
import io.strand.store.StreamNotFoundException;
import io.strand.store.WrongExpectedVersionException;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * An RFC 9457 problem: {@code type}, {@code title}, {@code status}, {@code detail}, plus members
 * such as {@code currentVersion}. {@link #of(Throwable)} is the one place that maps store failures
 * to HTTP statuses. Only the client's own mistakes are 4xx: this layer's parse errors (a
 * {@code Problem} it throws) and the store's {@link InvalidRequestException}. Anything unexpected —
 * an {@link IllegalArgumentException} included, which inside Strand means a broken invariant — is a
 * 500 {@code internal} problem whose detail names only a reference; the failure is logged once, with
 * its stack trace and that reference.
 */
final class Problem extends RuntimeException {
    private static final Logger LOG = Logger.getLogger(Problem.class);
    static final String CONTENT_TYPE = "application/problem+json";
    private static final String TYPE_PREFIX = "urn:strand:problem:";

    final int status;
    final String type;
    final String title;
    final JsonObject extra = new JsonObject();
    /** Seconds for {@code Retry-After}, or 0 for none. */
    int retryAfter;

    Problem(int status, String slug, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.type = TYPE_PREFIX + slug;
        this.title = title;
    }

    static Problem badRequest(String detail) {
        return new Problem(400, "bad-request", "Bad request", detail);
    }

    static Problem notFound(String detail) {
        return new Problem(404, "not-found", "Not found", detail);
    }

    static Problem tooLarge(String detail) {
        return new Problem(413, "too-large", "Payload too large", detail);
    }

    static Problem unsupportedType(String detail) {
        return new Problem(415, "unsupported-media-type", "Unsupported media type", detail);
    }

    static Problem unavailable(String detail, int retryAfterSeconds) {
        Problem p = new Problem(503, "unavailable", "Service unavailable", detail);
        p.retryAfter = retryAfterSeconds;
        return p;
    }

    /** The append did not commit within {@code strand.http.append-timeout}: its outcome is unknown. */
    static Problem appendTimeout(long millis) {
        Problem p = new Problem(503, "append-timeout", "Append still pending",
                "the append was not committed within strand.http.append-timeout (" + millis + " ms); it may still be "
                        + "written: re-send it with the same event ids, which is answered with the original result if it was");
        p.retryAfter = 1;
        return p;
    }

    static Problem diskFull(long free, long minFree) {
        return new Problem(507, "insufficient-storage", "Insufficient storage",
                "free space on the data volume (" + free + " bytes) is below strand.disk.min-free (" + minFree
                        + " bytes); appends resume when space returns")
                .with("freeBytes", free).with("minFreeBytes", minFree);
    }

    /** A record failed verification (CRC-32C or framing): never served; the log counted and logged it. */
    static Problem corruptRecord(long position) {
        return new Problem(500, "corrupt-record", "Corrupt record",
                "the record at log position " + position + " failed its integrity check (media corruption); it is not "
                        + "served, and the events before and after it still are").with("position", position);
    }

    Problem with(String key, Object value) {
        extra.put(key, value);
        return this;
    }

    /** The problem for a failure of the store, the log, or this layer. */
    static Problem of(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof Problem p) {
            return p;
        }
        if (t instanceof WrongExpectedVersionException w) {
            return new Problem(409, "wrong-expected-version", "Wrong expected version", w.getMessage())
                    .with("stream", w.stream())
                    .with("currentVersion", w.current() < 0 ? null : w.current());
        }
        if (t instanceof IdempotencyConflictException) {
            return new Problem(409, "idempotency-conflict", "Event ids reused with other events", t.getMessage());
        }
        if (t instanceof StreamNotFoundException nf) {
            Problem p = notFound(nf.getMessage()).with("stream", nf.stream());
            return nf.streamExists() ? p.with("version", nf.version()) : p;
        }
        if (t instanceof io.strand.store.groups.GroupNotFoundException) {
            return notFound(t.getMessage());
        }
        if (t instanceof io.strand.store.groups.UnknownDeliveryException u) {
            return notFound(u.getMessage()).with("ids", u.ids().stream().map(Object::toString).toList());
        }
        if (t instanceof io.strand.store.StreamDeletedException d) {
            return new Problem(404, "stream-deleted", "Stream deleted", d.getMessage()).with("stream", d.stream());
        }
        if (t instanceof io.strand.store.StreamTombstonedException d) {
            return new Problem(410, "stream-tombstoned", "Stream tombstoned", d.getMessage()).with("stream", d.stream());
        }
        if (t instanceof PositionGoneException g) {
            return new Problem(410, "gone", "Gone", g.getMessage()).with("first", g.first());
        }
        if (t instanceof InvalidRequestException) {
            return badRequest(t.getMessage());
        }
        if (t instanceof io.strand.store.StoreUnavailableException u) {
            return unavailable(u.getMessage(), u.retryAfterSeconds());
        }
        if (t instanceof RejectedExecutionException) {
            return unavailable("too many reads in progress; retry shortly", 1);
        }
        return switch (StoreFailure.of(t)) {
            case OVERLOADED -> unavailable("the log is overloaded (" + t.getMessage() + "); retry shortly", 1);
            case BATCH_TOO_LARGE ->
                    tooLarge(t.getMessage() + " (raise strand.log.transient-pool.buffer-size, or send smaller batches)");
            case NO_SPACE -> new Problem(507, "insufficient-storage", "Insufficient storage", t.getMessage());
            case CORRUPT_RECORD -> corruptRecord(StoreFailure.corruptPosition(t));
            case LOG_FAILED -> unavailable("the store cannot take writes now: " + t.getMessage(), 5);
            case OTHER -> internal(t);
        };
    }

    /**
     * A 500 for a failure nobody anticipated: logged here, once, with its stack trace and a reference
     * the detail repeats, so the answer tells the client nothing of the internals but support can find it.
     */
    static Problem internal(Throwable t) {
        String reference = UUID.randomUUID().toString();
        LOG.errorf(t, "unexpected failure answered with 500: reference=%s", reference);
        return new Problem(500, "internal", "Internal server error",
                "the server failed unexpectedly; it logged the failure with reference " + reference)
                .with("reference", reference);
    }

    JsonObject toJson() {
        JsonObject json = new JsonObject()
                .put("type", type)
                .put("title", title)
                .put("status", status)
                .put("detail", getMessage());
        for (String key : extra.fieldNames()) {
            json.put(key, extra.getValue(key));
        }
        return json;
    }
}
