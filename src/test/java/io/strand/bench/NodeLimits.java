package io.strand.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One benchmark server's limits, as a Kubernetes pod's: its own cgroup with a memory limit for the
 * whole run, and a CPU cap that cases switch on and off ({@link #capCpu}). cgroup v1 (separate
 * {@code memory} and {@code cpu} hierarchies) or v2 (one tree); root only.
 *
 * <p>Why a memory limit: this VM hands free memory back to its host, and the first write to each
 * such page then costs ~10 us (perf: 27% of the machine's CPU in a three-node case went to the
 * page faults and page-cache copies of fresh pages). A server whose memory is full of page cache
 * (any server after a while, or a pod at its limit) reuses pages instead: `dd` of 3 GB ran 6.5 s
 * unlimited and 1.3 s in a 512 MiB cgroup, on 2026-12-07. The limit measures that steady state;
 * it is off by default ({@code ClusterBenchmark.memoryLimitMiB} says why).
 *
 * <p>Why a CPU cap: three replicas on this machine's two cores share the cores one node has to
 * itself; capped alike, each server gets the same CPU, as on machines of one size.
 */
final class NodeLimits {
    private static final long CPU_PERIOD_MICROS = 20_000;
    private static final Path CGROUPS = Paths.get("/sys/fs/cgroup");

    private final boolean v2;
    /** v1: the memory and cpu cgroups; v2: the one cgroup, twice. */
    private final Path memory;
    private final Path cpu;

    private NodeLimits(boolean v2, Path memory, Path cpu) {
        this.v2 = v2;
        this.memory = memory;
        this.cpu = cpu;
    }

    /** Why limits cannot be set here (null: they can). */
    static String unavailable() {
        if (Files.isRegularFile(CGROUPS.resolve("cgroup.controllers"))) {
            String controllers = read(CGROUPS.resolve("cgroup.controllers"));
            return controllers.contains("memory") && controllers.contains("cpu") && Files.isWritable(CGROUPS) ? null
                    : "cgroup v2 without the memory and cpu controllers, or not writable";
        }
        return Files.isWritable(CGROUPS.resolve("memory")) && Files.isWritable(CGROUPS.resolve("cpu")) ? null
                : "no writable cgroup memory and cpu hierarchies (not root?)";
    }

    /** A new cgroup named {@code name} limited to {@code memoryBytes} (0: no memory limit). */
    static NodeLimits create(String name, long memoryBytes) throws IOException {
        String dir = "strand-bench-" + name + "-" + ProcessHandle.current().pid();
        NodeLimits l;
        if (Files.isRegularFile(CGROUPS.resolve("cgroup.controllers"))) {
            write(CGROUPS.resolve("cgroup.subtree_control"), "+memory +cpu");
            Path g = Files.createDirectories(CGROUPS.resolve(dir));
            l = new NodeLimits(true, g, g);
        } else {
            l = new NodeLimits(false, Files.createDirectories(CGROUPS.resolve("memory").resolve(dir)),
                    Files.createDirectories(CGROUPS.resolve("cpu").resolve(dir)));
            write(l.cpu.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_MICROS));
        }
        if (memoryBytes > 0) {
            write(l.memory.resolve(l.v2 ? "memory.max" : "memory.limit_in_bytes"), Long.toString(memoryBytes));
        }
        return l;
    }

    /**
     * Puts the process (every thread of it) into the memory cgroup (cgroup v2: the one cgroup). On
     * v1 the CPU cgroup is joined only while capped ({@link #capCpu}): a process in a CPU cgroup of
     * its own competes as one entity with the rest of the machine (group scheduling), not thread by
     * thread as before, and the uncapped figures must not change for it.
     */
    void join(long pid) throws IOException {
        write(memory.resolve("cgroup.procs"), Long.toString(pid));
    }

    /** Caps process {@code pid}'s CPU at {@code cores}; 0 lifts the cap (on v1 it leaves the CPU cgroup). */
    void capCpu(long pid, double cores) throws IOException {
        long quota = cores <= 0 ? -1 : Math.max(1000, Math.round(cores * CPU_PERIOD_MICROS));
        if (v2) {
            write(cpu.resolve("cpu.max"), (quota < 0 ? "max" : Long.toString(quota)) + " " + CPU_PERIOD_MICROS);
            return;
        }
        write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
        write((quota < 0 ? CGROUPS.resolve("cpu") : cpu).resolve("cgroup.procs"), Long.toString(pid));
    }

    /** Removes the cgroup(s); the processes in them have exited. */
    void close() {
        List<Path> dirs = new ArrayList<>(List.of(memory));
        if (!v2) {
            dirs.add(cpu);
        }
        for (Path d : dirs) {
            try {
                Files.deleteIfExists(d); // rmdir: a cgroup's files are not files
            } catch (IOException e) {
                System.out.println("(could not remove " + d + ": " + e + ")");
            }
        }
    }

    String describe(double cores, long memoryBytes) {
        return String.format(Locale.ROOT, "cgroup %s: memory %s, CPU %s", v2 ? "v2" : "v1",
                memoryBytes > 0 ? (memoryBytes >> 20) + " MiB" : "unlimited",
                cores > 0 ? cores + " core(s) in the capped cases (period " + CPU_PERIOD_MICROS / 1000 + " ms)" : "uncapped");
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }
}
