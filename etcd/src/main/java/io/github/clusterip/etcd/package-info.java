/**
 * An etcd-backed {@link io.github.clusterip.store.KeyValueStore}:
 * {@link io.github.clusterip.etcd.EtcdKeyValueStore}, which lets allocators in several JVMs share
 * one allocation state on the store Kubernetes itself uses.
 */
package io.github.clusterip.etcd;
