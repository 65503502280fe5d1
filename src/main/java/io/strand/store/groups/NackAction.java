package io.strand.store.groups;

import io.strand.store.InvalidRequestException;

/** What a consumer asks for an event it will not ack: deliver it again, park it now, or drop it (settled unprocessed). */
public enum NackAction {
    RETRY, PARK, SKIP;

    public static NackAction parse(String text) {
        return switch (String.valueOf(text)) {
            case "retry" -> RETRY;
            case "park" -> PARK;
            case "skip" -> SKIP;
            default -> throw new InvalidRequestException("action is retry, park or skip: " + text);
        };
    }
}
