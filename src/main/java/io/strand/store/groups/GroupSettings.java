package io.strand.store.groups;

import io.strand.store.EventFilter;
import io.strand.store.InvalidRequestException;

import java.util.List;

/**
 * A shared group's settings ({@code PUT /groups/{g}}): its source (a stream, or {@code $all} with a
 * filter), where it starts ({@code from}: a version of the stream or a position of the log, resolved
 * once when the group is created), and how it delivers.
 */
public record GroupSettings(String stream, List<String> types, List<String> streamPrefixes, long from,
                            int ackTimeoutSeconds, int maxDeliveries, int maxInFlight, Strategy strategy) {
    /** The source name that means the whole log. */
    public static final String ALL = "$all";
    public static final int DEFAULT_ACK_TIMEOUT = 30;
    public static final int DEFAULT_MAX_DELIVERIES = 5;
    public static final int DEFAULT_MAX_IN_FLIGHT = 100;
    /** {@code from} before it is resolved: the start of the source. */
    public static final long START = -1;
    /** {@code from} before it is resolved: after the source's last event at creation. */
    public static final long END = -2;

    public enum Strategy {
        ROUND_ROBIN("round-robin"), PINNED("pinned");

        private final String text;

        Strategy(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }

        public static Strategy parse(String text) {
            for (Strategy s : values()) {
                if (s.text.equals(text)) {
                    return s;
                }
            }
            throw new InvalidRequestException("strategy is round-robin or pinned: " + text);
        }
    }

    public GroupSettings {
        types = List.copyOf(types);
        streamPrefixes = List.copyOf(streamPrefixes);
        if (ackTimeoutSeconds < 1 || ackTimeoutSeconds > 86_400) {
            throw new InvalidRequestException("ackTimeout is 1 to 86400 seconds: " + ackTimeoutSeconds);
        }
        if (maxDeliveries < 1 || maxDeliveries > 1000) {
            throw new InvalidRequestException("maxDeliveries is 1 to 1000: " + maxDeliveries);
        }
        if (maxInFlight < 1 || maxInFlight > 10_000) {
            throw new InvalidRequestException("maxInFlight is 1 to 10000: " + maxInFlight);
        }
        if (!ALL.equals(stream) && (!types.isEmpty() || !streamPrefixes.isEmpty())) {
            if (!streamPrefixes.isEmpty()) {
                throw new InvalidRequestException("a filter's streamPrefix applies to $all only");
            }
        }
        if (from < END) {
            throw new InvalidRequestException("from is start, end, or a version or position (0 or more): " + from);
        }
    }

    public boolean all() {
        return ALL.equals(stream);
    }

    public EventFilter filter() {
        return EventFilter.of(types, streamPrefixes);
    }

    GroupSettings from(long resolved) {
        return new GroupSettings(stream, types, streamPrefixes, resolved, ackTimeoutSeconds, maxDeliveries, maxInFlight,
                strategy);
    }
}
