package io.strand.index;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The index files' layouts: accessors, explicit little-endian order, and the validators. */
class IndexDescriptorsTest {
    private final CRC32C crc = new CRC32C();

    @Test
    void shouldChainTheOffsetsOfEachLayout() {
        assertEquals(20, IndexHeaderDescriptor.LENGTH);
        assertEquals(16, IndexHeaderDescriptor.CRC_OFFSET);
        assertEquals(40, EntryDescriptor.LENGTH);
        assertEquals(36, EntryDescriptor.CRC_OFFSET);
        assertEquals(32, EntryDescriptor.STREAM_ID_OFFSET);
        assertEquals(6, CatalogDescriptor.OVERHEAD);
    }

    @Test
    void shouldReadBackAHeaderAndAcceptItOnlyWithTheExpectedMagicVersionAndBase() {
        ByteBuffer b = ByteBuffer.allocate(64);
        IndexHeaderDescriptor.encode(b, 4, crc, IndexHeaderDescriptor.ENTRIES_MAGIC, 1, 1L << 30);
        assertEquals(IndexHeaderDescriptor.ENTRIES_MAGIC, IndexHeaderDescriptor.magic(b, 4));
        assertEquals(1, IndexHeaderDescriptor.version(b, 4));
        assertEquals(1L << 30, IndexHeaderDescriptor.base(b, 4));
        assertEquals('S', b.get(4), "magic is little-endian: \"SIXE\" reads as text");
        assertEquals('E', b.get(7));
        assertEquals(0x40, b.get(4 + IndexHeaderDescriptor.BASE_OFFSET + 3), "base is little-endian");

        int valid = IndexHeaderDescriptor.check(b, 4, 60, crc, IndexHeaderDescriptor.ENTRIES_MAGIC, 1, 1L << 30);
        assertEquals(IndexHeaderDescriptor.VALID, valid);
        assertEquals(IndexHeaderDescriptor.TRUNCATED,
                IndexHeaderDescriptor.check(b, 4, 19, crc, IndexHeaderDescriptor.ENTRIES_MAGIC, 1, 1L << 30));
        assertEquals(IndexHeaderDescriptor.BAD_MAGIC,
                IndexHeaderDescriptor.check(b, 4, 60, crc, IndexHeaderDescriptor.STREAMS_MAGIC, 1, 1L << 30));
        assertEquals(IndexHeaderDescriptor.BAD_VERSION,
                IndexHeaderDescriptor.check(b, 4, 60, crc, IndexHeaderDescriptor.ENTRIES_MAGIC, 2, 1L << 30));
        assertEquals(IndexHeaderDescriptor.BAD_BASE,
                IndexHeaderDescriptor.check(b, 4, 60, crc, IndexHeaderDescriptor.ENTRIES_MAGIC, 1, 0));
        b.put(4 + IndexHeaderDescriptor.BASE_OFFSET, (byte) 1); // a flipped bit the magic does not show
        assertEquals(IndexHeaderDescriptor.BAD_CRC,
                IndexHeaderDescriptor.check(b, 4, 60, crc, IndexHeaderDescriptor.ENTRIES_MAGIC, 1, 1L << 30));
        assertTrue(IndexHeaderDescriptor.describe(IndexHeaderDescriptor.BAD_CRC).contains("crc32c"));
    }

    @Test
    void shouldReadBackAnEntryAndRefuseItWhenABitFlipsOrItIsCut() {
        ByteBuffer b = ByteBuffer.allocate(100);
        EntryDescriptor.encode(b, 20, crc, 0x0102030405060708L, 42, 1_700_000_000_000L, -5L, 7);
        assertEquals(0x0102030405060708L, EntryDescriptor.position(b, 20));
        assertEquals(42, EntryDescriptor.version(b, 20));
        assertEquals(1_700_000_000_000L, EntryDescriptor.timestamp(b, 20));
        assertEquals(-5L, EntryDescriptor.key(b, 20));
        assertEquals(7, EntryDescriptor.streamId(b, 20));
        assertEquals(0x08, b.get(20), "position is little-endian");
        assertEquals(7, b.get(20 + EntryDescriptor.STREAM_ID_OFFSET), "stream id is little-endian");

        assertTrue(EntryDescriptor.check(b, 20, 80, crc));
        assertFalse(EntryDescriptor.check(b, 20, 39, crc), "a torn entry is not an entry");
        for (int i = 0; i < EntryDescriptor.LENGTH; i++) {
            b.put(20 + i, (byte) (b.get(20 + i) ^ 0x10));
            assertFalse(EntryDescriptor.check(b, 20, 80, crc), "flipped byte " + i);
            b.put(20 + i, (byte) (b.get(20 + i) ^ 0x10));
        }
        assertTrue(EntryDescriptor.check(b, 20, 80, crc));
    }

    @Test
    void shouldReadBackACatalogNameAndTellTornFromCorrupt() {
        byte[] name = "orders-é".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(64);
        int length = CatalogDescriptor.encode(b, 3, crc, name);
        assertEquals(CatalogDescriptor.entryLength(name.length), length);
        assertEquals(name.length, CatalogDescriptor.nameLength(b, 3));
        assertEquals(name.length, b.get(3), "the length is little-endian");
        assertArrayEquals(name, CatalogDescriptor.name(b, 3));
        assertEquals(length, CatalogDescriptor.check(b, 3, 61, crc));

        assertEquals(CatalogDescriptor.TRUNCATED, CatalogDescriptor.check(b, 3, 1, crc));
        assertEquals(CatalogDescriptor.TRUNCATED, CatalogDescriptor.check(b, 3, length - 1, crc));
        b.put(3 + CatalogDescriptor.NAME_OFFSET, (byte) 'O');
        assertEquals(CatalogDescriptor.BAD_CRC, CatalogDescriptor.check(b, 3, 61, crc));
        assertEquals(CatalogDescriptor.BAD_LENGTH, CatalogDescriptor.check(ByteBuffer.allocate(16), 0, 16, crc),
                "zeros are not a name");
        assertThrows(IllegalArgumentException.class, () -> CatalogDescriptor.encode(b, 0, crc, new byte[0]));
    }

    @Test
    void shouldPackAPositionWithAFingerprintWithoutLosingEitherUpToTheLargestPosition() {
        long largest = (1L << 48) - 8; // StreamEntry: 19 fingerprint bits leave 2^48 of positions
        for (long position : new long[] {0, 8, 4096, 123_456_784L, largest}) {
            for (long fingerprint : new long[] {0, 1, (1 << 19) - 1}) {
                long slot = PositionSlotDescriptor.pack(position, fingerprint, 19);
                assertEquals(position, PositionSlotDescriptor.position(slot, 19));
                assertEquals(fingerprint, PositionSlotDescriptor.fingerprint(slot, 19));
            }
        }
        long slot = PositionSlotDescriptor.pack(1L << 40, 0xABCD, 16);
        assertEquals(1L << 40, PositionSlotDescriptor.position(slot, 16));
        assertEquals(0xABCD, PositionSlotDescriptor.fingerprint(slot, 16));
    }
}
