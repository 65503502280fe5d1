package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ReadOnlyBufferException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Readers get read-only views of the mapping: no reader can change committed bytes under their CRC. */
class ReadOnlySliceTest {

    @Test
    void shouldHandOutReadOnlyDirectViews(@TempDir Path dir) throws Exception {
        try (CommitLog log = CommitLog.open(TestRecords.smallConfig(dir, true, FlushMode.ASYNC))) {
            AppendResult r = log.append(new EventRecord[] {TestRecords.record(3)}, 1, 0).toCompletableFuture().get();
            try (LogSlice read = log.read(r.position(), 1 << 20);
                 LogSlice record = log.readRecord(r.position());
                 LogSlice segment = log.readSegment(r.position())) {
                for (LogSlice s : new LogSlice[] {read, record, segment}) {
                    assertTrue(s.buffer().isReadOnly());
                    assertTrue(s.buffer().isDirect(), "still the mapping, for zero-copy writers");
                    assertEquals(0, s.buffer().position());
                    assertEquals(s.length(), s.buffer().limit());
                    assertThrows(ReadOnlyBufferException.class, () -> s.buffer().put(0, (byte) 1));
                }
                assertEquals(TestRecords.record(3).recordLength(), RecordDescriptor.length(record.buffer(), 0));
            }
        }
    }
}
