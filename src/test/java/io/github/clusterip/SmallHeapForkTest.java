package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Guards the build's small-heap run: tests tagged {@code small-heap} run in a JVM of their own with
 * a 64 MiB heap, so that a memory bound that does not hold ends in OutOfMemoryError instead of
 * passing on a big default heap. If that run lost its {@code -Xmx}, this test says so.
 */
@Tag("small-heap")
class SmallHeapForkTest {

    private static final long MIB = 1024 * 1024;

    @Test
    void runsWithASmallHeap() {
        long max = Runtime.getRuntime().maxMemory();
        assertThat(max).as("max heap %d MiB; the small-heap tests must run with -Xmx64m", max / MIB)
                .isLessThanOrEqualTo(80 * MIB);
    }
}
