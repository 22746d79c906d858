package io.github.clusterip.store;

import java.util.List;

/**
 * What a {@linkplain KeyValueStore#watch watch} tells.
 */
public interface StoreListener {

    /**
     * Reports changes, in revision order.
     *
     * @param events one or more changes, all of one revision or of consecutive ones
     */
    void onEvents(List<StoreEvent> events);

    /**
     * Reports that changes may have been missed (the connection was lost, or the store
     * compacted the revisions the watch still needed). The watch may go on after this, but
     * whoever keeps a copy of the keys must read them again before trusting that copy.
     *
     * @param reason what happened, for a log
     */
    void onReset(String reason);
}
