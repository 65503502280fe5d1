package io.strand.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool's mlock, for real, in child JVMs: with CAP_IPC_LOCK it locks every buffer; started
 * without the capability (setpriv drops it from the bounding and inheritable sets) and under a
 * 1 MiB memlock limit (prlimit), mlock fails with ENOMEM, and the log still appends and reads,
 * reporting that it runs unlocked.
 */
class PoolLockTest {

    private static String run(List<String> wrapper, Path dir) throws Exception {
        Process p = ChildJvm.start(wrapper, PoolLockProbe.class, dir.toString());
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe finished");
        assertEquals(0, p.exitValue(), "probe exit code; output: " + out);
        return out;
    }

    @Test
    void shouldRunUnlockedAndSaySoWithoutTheCapability(@TempDir Path dir) throws Exception {
        String out = run(List.of("prlimit", "--memlock=1048576:1048576",
                "setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock"), dir);
        assertTrue(out.contains("locked=false"), out);
        assertTrue(out.contains("lockedBuffers=0"), out);
        assertTrue(out.contains("errno=12") || out.contains("errno=1 "), "ENOMEM or EPERM: " + out);
        assertTrue(out.contains("append=ok"), out);
    }

    @Test
    void shouldLockEveryBufferWithTheCapability(@TempDir Path dir) throws Exception {
        String out = run(List.of("prlimit", "--memlock=1048576:1048576"), dir);
        if (hasIpcLock()) {
            assertTrue(out.contains("locked=true") && out.contains("lockedBuffers=4"), out);
        } else {
            // Without the capability here, the 1 MiB limit must refuse 4 MiB buffers.
            assertTrue(out.contains("locked=false"), out);
        }
        assertTrue(out.contains("append=ok"), out);
    }

    /** CAP_IPC_LOCK (bit 14) in this process's effective set. */
    private static boolean hasIpcLock() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 14)) != 0;
            }
        }
        return false;
    }
}
