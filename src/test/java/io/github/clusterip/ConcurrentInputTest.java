package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A restore reads its input once. Another thread rewrites the caller's array, byte by byte,
 * between two valid snapshots A and B while restores run: every restore that is accepted must
 * hold exactly A or exactly B, never a mixture whose checksum was not checked. Reading the array
 * in several passes (structure, checksum, meaning), as 1.1 did, accepted mixtures: the checksum
 * was computed over one version and the runs taken from another.
 */
class ConcurrentInputTest {

    private static final ServiceCidr CIDR = ServiceCidr.parse("10.96.0.0/24");

    @Test
    void aRestoreNeverAcceptsBytesThatChangedUnderIt() throws Exception {
        // Same length and structure; the runs differ in both gaps, so mixing them gives other runs.
        byte[] a = CompactSnapshot.encode(CIDR, new long[] {0, 10}, new long[] {1, 1}, 2);
        byte[] b = CompactSnapshot.encode(CIDR, new long[] {2, 23}, new long[] {1, 1}, 2);
        assertThat(a).hasSameSizeAs(b);
        byte[] shared = a.clone();
        AtomicBoolean stop = new AtomicBoolean();
        Thread flipper = new Thread(() -> {
            while (!stop.get()) {
                for (byte[] next : new byte[][] {b, a}) {
                    for (int i = 0; i < shared.length; i++) {
                        shared[i] = next[i]; // plain writes, one byte at a time: a reader sees mixtures
                    }
                }
            }
        });
        flipper.start();
        ClusterIpAllocator allocator = ClusterIpAllocator.create(CIDR);
        long accepted = 0;
        long refused = 0;
        long deadline = System.nanoTime() + 1_500_000_000L;
        try {
            while (System.nanoTime() < deadline) {
                try {
                    allocator.restoreCompact(shared);
                } catch (IllegalArgumentException e) {
                    refused++; // a torn copy: its checksum does not match, which is fine
                    continue;
                }
                accepted++;
                byte[] state = allocator.compactSnapshot();
                assertThat(state).as("restore %d accepted a state that is neither input", accepted)
                        .satisfiesAnyOf(s -> assertThat(s).isEqualTo(a), s -> assertThat(s).isEqualTo(b));
            }
        } finally {
            stop.set(true);
            flipper.join();
        }
        assertThat(accepted).as("restores accepted (%d refused)", refused).isPositive();
    }
}
