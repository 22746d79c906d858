/**
 * The allocation engine behind every allocator of the library, not part of its API: the module
 * does not export this package, and its types may change in any release.
 *
 * <p>It allocates indexes of a banded index space {@code [0, size)}, whose static band is
 * {@code [0, staticSize)}, and knows nothing of addresses or ports: the allocators of the API
 * package map an address or a port to its index and back. Here live:
 * <ul>
 *   <li>{@link io.github.clusterip.engine.BandedAllocator}, the engine: the band scan, the random
 *       start, the mutation gate and the bitmap;</li>
 *   <li>{@link io.github.clusterip.engine.BandRule}, the band offset rules as data;</li>
 *   <li>the bitmaps ({@code HierarchicalBitmap} and its dense and sparse forms) and the
 *       {@code MutationGate} that counts allocations and lets exact reads hold changes off;</li>
 *   <li>the snapshot codecs that every resource shares:
 *       {@link io.github.clusterip.engine.BigEndianBitmap} for the bytes of kube-apiserver's
 *       RangeAllocation, and {@link io.github.clusterip.engine.CompactFrame} for clusterip's
 *       compact snapshot.</li>
 * </ul>
 */
package io.github.clusterip.engine;
