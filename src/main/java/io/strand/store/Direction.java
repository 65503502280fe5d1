package io.strand.store;

public enum Direction {
    FORWARD,
    BACKWARD
}
