/**
 * Allocation state shared by several JVMs through a versioned key-value store.
 *
 * <p>{@link io.github.clusterip.store.KeyValueStore} is the little a store must do: read a key or
 * a prefix at one revision, commit writes only if the keys they depend on are unchanged, and
 * report later changes. {@link io.github.clusterip.store.InMemoryKeyValueStore} implements it in
 * this JVM (for tests and single-process use); the {@code clusterip-etcd} artifact implements it
 * on etcd, the store Kubernetes uses. {@link io.github.clusterip.SharedClusterIpAllocator},
 * {@link io.github.clusterip.SharedNodePortAllocator} and
 * {@link io.github.clusterip.service.SharedServiceAllocator} allocate through any store, in one of
 * two {@linkplain io.github.clusterip.store.StoreLayout layouts}.
 *
 * <p>Nothing here is used unless a store is configured: the allocators of
 * {@code io.github.clusterip} keep their state in memory as before.
 */
package io.github.clusterip.store;
