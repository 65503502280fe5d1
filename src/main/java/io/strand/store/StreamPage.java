package io.strand.store;

import java.util.List;

/** A page of the stream list, in creation order; {@code next} is the cursor of the following page, or -1. */
public record StreamPage(List<StreamInfo> streams, long next) {
}
