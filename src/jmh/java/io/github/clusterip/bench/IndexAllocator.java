package io.github.clusterip.bench;

/**
 * The index-level API shared by the two baseline allocators of the benchmark suite
 * ({@link KubernetesStrategyAllocator}, {@link BitSetAllocator}).
 *
 * <p>Index {@code k} stands for usable address {@code network + 1 + k}, as in kube-apiserver's
 * allocation bitmap. The static band is {@code [0, offset())}, the dynamic band
 * {@code [offset(), size())}. Implementations are thread-safe (one lock per allocator).
 */
public interface IndexAllocator {

    /** Returns the number of usable indexes ({@code max} in Kubernetes' bitmap). */
    int size();

    /** Returns the band offset: the size of the static band. */
    int offset();

    /**
     * Allocates a free index, dynamic band first, then static band.
     *
     * @return the allocated index, or -1 if the range is full
     */
    int allocateNextIndex();

    /**
     * Allocates a given index.
     *
     * @param index the index
     * @return false if it was already allocated
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    boolean allocate(int index);

    /**
     * Frees an index; freeing a free index changes nothing.
     *
     * @param index the index
     * @return true if it was allocated
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    boolean release(int index);

    /** Tells whether an index is allocated. */
    boolean isAllocated(int index);

    /** Returns the number of allocated indexes. */
    int used();

    /** Returns the state as Go's {@code big.Int.Bytes()}, the RangeAllocation data layout. */
    byte[] snapshotBytes();

    /** Replaces the state with the bitmap given as Go's {@code big.Int.Bytes()}. */
    void restoreBytes(byte[] data);
}
