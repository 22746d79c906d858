package io.github.clusterip.store;

/**
 * How a shared allocator lays a range out in a {@link KeyValueStore}.
 *
 * <p>Both layouts keep the owner of each allocation under a key of its own, written in the same
 * commit as the allocation, and a small meta key that records the layout, so that two JVMs can
 * never open one range in different layouts.
 */
public enum StoreLayout {

    /**
     * kube-apiserver's layout: the whole range's bitmap is one value, rewritten by a
     * compare-and-swap on its revision at every allocation and release. Every change in the
     * cluster conflicts with every other, and each writes the whole bitmap (128 KiB for a /12).
     * The value holds Kubernetes' RangeAllocation bytes. As in kube-apiserver, one allocator
     * instance makes its changes one at a time (its threads wait for each other rather than
     * conflict), so only other processes conflict. Kept as the baseline to measure against.
     */
    RANGE_OBJECT,

    /**
     * The range's bitmap cut into blocks of a fixed number of bits (1024 by default), each block
     * a value of its own. A change rewrites one block (128 bytes by default) and conflicts only
     * with a change to the same block; writers start at random places, so that they rarely meet.
     */
    BLOCKS
}
