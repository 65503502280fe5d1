package io.strand.store.history;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Records a concurrent history, whatever executes the operations (an in-process store, HTTP
 * clients, several nodes). Thread-safe.
 *
 * <pre>{@code
 * HistoryRecorder.Call<I, O> call = recorder.begin(client, input); // right before invoking
 * stage.whenComplete((r, e) -> call.end(outputOf(r, e)));          // in the completing callback
 * }</pre>
 *
 * The call time is taken in {@link #begin} and the return time in {@link Call#end} (or
 * {@link Call#endUnknown}), so the recorded interval always contains the real one: calling
 * {@code end} late only makes the history more permissive, never wrong. A call never ended by the
 * time {@link #history} is taken is recorded with an unknown outcome
 * ({@link Operation#UNKNOWN_RETURN}).
 */
public final class HistoryRecorder<I, O> {
    private final LongSupplier clock;
    private final O unknown;
    private final AtomicInteger ids = new AtomicInteger();
    private final List<Call<I, O>> calls = new ArrayList<>();

    /** @param unknown the output recorded for calls not ended when the history is taken */
    public HistoryRecorder(O unknown) {
        this(System::nanoTime, unknown);
    }

    public HistoryRecorder(LongSupplier clock, O unknown) {
        this.clock = clock;
        this.unknown = unknown;
    }

    /** Starts an operation: call right before invoking it. */
    public Call<I, O> begin(int client, I input) {
        Call<I, O> call = new Call<>(this, ids.getAndIncrement(), client, input);
        synchronized (calls) {
            calls.add(call);
        }
        call.call = clock.getAsLong();
        return call;
    }

    /** The operations so far, by begin order; calls not ended yet have an unknown outcome. */
    public List<Operation<I, O>> history() {
        List<Call<I, O>> snapshot;
        synchronized (calls) {
            snapshot = new ArrayList<>(calls);
        }
        List<Operation<I, O>> out = new ArrayList<>(snapshot.size());
        for (Call<I, O> c : snapshot) {
            out.add(c.operation());
        }
        return out;
    }

    /** One operation in progress. */
    public static final class Call<I, O> {
        private final HistoryRecorder<I, O> recorder;
        private final int id;
        private final int client;
        private final I input;
        private volatile long call;
        private O output;
        private long ret;
        private boolean ended;

        private Call(HistoryRecorder<I, O> recorder, int id, int client, I input) {
            this.recorder = recorder;
            this.id = id;
            this.client = client;
            this.input = input;
        }

        /** The answer arrived now. Only the first end counts. */
        public void end(O output) {
            long now = recorder.clock.getAsLong();
            synchronized (this) {
                if (!ended) {
                    this.output = output;
                    this.ret = now;
                    this.ended = true;
                }
            }
        }

        /** The outcome is unknown (timeout, a failure that may have taken effect): it returns at infinity. */
        public void endUnknown(O output) {
            synchronized (this) {
                if (!ended) {
                    this.output = output;
                    this.ret = Operation.UNKNOWN_RETURN;
                    this.ended = true;
                }
            }
        }

        synchronized Operation<I, O> operation() {
            if (!ended) {
                return new Operation<>(id, client, input, recorder.unknown, call, Operation.UNKNOWN_RETURN);
            }
            return new Operation<>(id, client, input, output, call, ret);
        }
    }
}
