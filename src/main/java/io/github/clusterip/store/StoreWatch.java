package io.github.clusterip.store;

/**
 * A running {@linkplain KeyValueStore#watch watch}.
 */
public interface StoreWatch extends AutoCloseable {

    /**
     * Ends the watch: its listener is not called after this returns. Closing twice is no error.
     */
    @Override
    void close();
}
