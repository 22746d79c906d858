package io.github.clusterip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The count kept by {@link MutationGate}, including the fold of drifting cells into the base. */
class MutationGateTest {

    private static long exactCount(MutationGate gate) {
        return gate.callAloneAsLong(gate::count);
    }

    @Test
    void countsEveryExitAcrossFolds() {
        MutationGate gate = new MutationGate(4); // fold as soon as a cell drifts past 4
        for (int i = 1; i <= 1_000; i++) {
            gate.exit(gate.enter(), 1);
            assertThat(exactCount(gate)).isEqualTo(i);
        }
        for (int i = 0; i < 300; i++) {
            gate.exit(gate.enter(), -1);
            gate.exit(gate.enter(), 0);
        }
        assertThat(exactCount(gate)).isEqualTo(700);
        gate.runAlone(() -> gate.reset(5));
        gate.exit(gate.enter(), 1);
        assertThat(exactCount(gate)).isEqualTo(6);
    }

    /**
     * One thread only adds and another only subtracts, so each one's cell drifts steadily (the
     * producer-consumer pattern that folds exist for), while a third counts in exclusive
     * sections: the count is always one that existed, and exact at the end.
     */
    @Test
    void driftingCellsFoldWhileOthersRunAndCount() throws Exception {
        MutationGate gate = new MutationGate(16);
        int perThread = 200_000;
        CyclicBarrier start = new CyclicBarrier(3);
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int sign : new int[] {1, -1}) {
                workers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        gate.exit(gate.enter(), sign);
                    }
                    return null;
                }));
            }
            Future<?> counter = pool.submit(() -> {
                start.await();
                while (running.get()) {
                    long count = exactCount(gate);
                    if (Math.abs(count) > perThread) {
                        throw new AssertionError("count " + count + " is out of reach");
                    }
                }
                return null;
            });
            for (Future<?> w : workers) {
                w.get();
            }
            running.set(false);
            counter.get();
        } finally {
            pool.shutdownNow();
        }
        assertThat(exactCount(gate)).isZero();
    }
}
