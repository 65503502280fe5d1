package io.strand.store;

/**
 * What {@code GET /streams/{s}/metadata} shows: the stream's metadata, and its first visible and
 * last versions ({@code info} null when it has no visible stream: no events, or soft-deleted).
 */
public record StreamMetadataView(String stream, StreamMetadata metadata, StreamInfo info) {
}
