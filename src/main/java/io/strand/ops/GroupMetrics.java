package io.strand.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import io.strand.store.groups.GroupStatus;
import io.strand.store.groups.SharedGroups;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * Per shared group, tagged {@code group}: {@code strand_group_lag} (events, or log bytes for
 * {@code $all}, between the group's resume point and the end of its source),
 * {@code strand_group_in_flight}, {@code strand_group_parked}, {@code strand_group_consumers} and
 * {@code strand_group_redeliveries_total}. Refreshed every 2 s from the groups' own figures, so a
 * scrape never waits on the groups thread; a deleted group's meters are removed.
 */
@Startup
@ApplicationScoped
public class GroupMetrics {
    private final MeterRegistry registry;
    private final StorageLifecycle storage;
    private final Map<String, MultiGauge> gauges = new HashMap<>();
    private final Map<String, ToDoubleFunction<GroupStatus>> values = new HashMap<>();
    private final Map<String, AtomicLong> redeliveries = new HashMap<>();
    private final Map<String, Meter> counters = new HashMap<>();
    private final ScheduledExecutorService refresh = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "strand-group-metrics");
        t.setDaemon(true);
        return t;
    });

    GroupMetrics(MeterRegistry registry, StorageLifecycle storage) {
        this.registry = registry;
        this.storage = storage;
        gauge("strand.group.lag", "events (log bytes for $all) between the group's resume point and its source's end",
                GroupStatus::lag);
        gauge("strand.group.in.flight", "deliveries not yet acked", GroupStatus::inFlight);
        gauge("strand.group.parked", "parked events not yet replayed", GroupStatus::parked);
        gauge("strand.group.consumers", "attached consumers", GroupStatus::consumers);
        refresh.scheduleWithFixedDelay(this::refresh, 1, 2, TimeUnit.SECONDS);
    }

    private void gauge(String name, String description, ToDoubleFunction<GroupStatus> value) {
        MultiGauge g = MultiGauge.builder(name).description(description).register(registry);
        gauges.put(name, g);
        values.put(name, value);
    }

    /** Visible for tests: takes the groups' current figures. */
    synchronized void refresh() {
        SharedGroups groups = storage.sharedGroupsOrNull();
        List<GroupStatus> all = groups == null ? List.of() : groups.statuses();
        for (var e : gauges.entrySet()) {
            ToDoubleFunction<GroupStatus> f = values.get(e.getKey());
            List<MultiGauge.Row<?>> rows = new ArrayList<>(all.size());
            for (GroupStatus s : all) {
                rows.add(MultiGauge.Row.of(Tags.of("group", s.name()), f.applyAsDouble(s)));
            }
            e.getValue().register(rows, true);
        }
        Map<String, Boolean> seen = new HashMap<>();
        for (GroupStatus s : all) {
            seen.put(s.name(), true);
            AtomicLong r = redeliveries.computeIfAbsent(s.name(), n -> {
                AtomicLong holder = new AtomicLong();
                counters.put(n, FunctionCounter.builder("strand.group.redeliveries", holder, AtomicLong::doubleValue)
                        .description("deliveries of an event after its first").tag("group", n).register(registry));
                return holder;
            });
            r.set(Math.max(r.get(), s.redeliveries()));
        }
        for (String gone : new ArrayList<>(redeliveries.keySet())) {
            if (!seen.containsKey(gone)) {
                redeliveries.remove(gone);
                registry.remove(counters.remove(gone));
            }
        }
    }

    @PreDestroy
    void stop() {
        refresh.shutdownNow();
    }
}
