package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The checkpoint layout: accessors, little-endian order, validator codes, and the file built on it. */
class CheckpointDescriptorTest {
    private final CRC32C crc = new CRC32C();

    @Test
    void shouldReadBackACheckpointAndNameWhatIsWrongWithABadOne() {
        ByteBuffer b = ByteBuffer.allocate(CheckpointDescriptor.LENGTH);
        CheckpointDescriptor.encode(b, 0, crc, Checkpoint.CHECKPOINT_MAGIC, 123_456L, 99L);
        assertEquals(28, CheckpointDescriptor.LENGTH);
        assertEquals(Checkpoint.CHECKPOINT_MAGIC, CheckpointDescriptor.magic(b, 0));
        assertEquals(CheckpointDescriptor.VERSION, CheckpointDescriptor.version(b, 0));
        assertEquals(123_456L, CheckpointDescriptor.position(b, 0));
        assertEquals(99L, CheckpointDescriptor.writtenAt(b, 0));
        assertEquals('S', b.get(0), "\"SCKP\" as a little-endian int reads as text");
        assertEquals('P', b.get(3));
        assertEquals((byte) 0x40, b.get(CheckpointDescriptor.POSITION_OFFSET), "position is little-endian (0x1E240)");

        assertEquals(CheckpointDescriptor.VALID, check(b, 28, Checkpoint.CHECKPOINT_MAGIC));
        assertEquals(CheckpointDescriptor.BAD_SIZE, check(b, 27, Checkpoint.CHECKPOINT_MAGIC));
        assertEquals(CheckpointDescriptor.BAD_MAGIC, check(b, 28, Checkpoint.CLEAN_MAGIC));
        b.put(CheckpointDescriptor.WRITTEN_AT_OFFSET, (byte) 1);
        assertEquals(CheckpointDescriptor.BAD_CRC, check(b, 28, Checkpoint.CHECKPOINT_MAGIC));
        b.putInt(CheckpointDescriptor.VERSION_OFFSET, Integer.reverseBytes(2));
        assertEquals(CheckpointDescriptor.BAD_VERSION, check(b, 28, Checkpoint.CHECKPOINT_MAGIC));
        CheckpointDescriptor.encode(b, 0, crc, Checkpoint.CHECKPOINT_MAGIC, -8L, 99L);
        assertEquals(CheckpointDescriptor.BAD_POSITION, check(b, 28, Checkpoint.CHECKPOINT_MAGIC));
    }

    @Test
    void shouldReadAFileAsAbsentWhenItsCheckDoesNotPass(@TempDir Path dir) throws Exception {
        Checkpoint c = Checkpoint.checkpoint(dir);
        c.write(4096);
        assertEquals(4096, c.read());
        assertEquals(-1, Checkpoint.cleanShutdownMarker(dir).read(), "no marker file");
        byte[] bytes = Files.readAllBytes(c.file());
        bytes[CheckpointDescriptor.POSITION_OFFSET] ^= 1;
        Files.write(c.file(), bytes);
        assertEquals(-1, c.read(), "a flipped bit fails the CRC");
        Files.move(c.file(), dir.resolve("clean-shutdown"));
        c.write(8192);
        assertEquals(-1, new Checkpoint(c.file(), Checkpoint.CLEAN_MAGIC).read(), "another file's magic");
    }

    private int check(ByteBuffer b, int length, int magic) {
        return CheckpointDescriptor.check(b, 0, length, magic, crc);
    }
}
