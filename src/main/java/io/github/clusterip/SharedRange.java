package io.github.clusterip;

import io.github.clusterip.engine.BigEndianBitmap;
import io.github.clusterip.internal.Messages;
import io.github.clusterip.store.KeyValueStore;
import io.github.clusterip.store.StoreCondition;
import io.github.clusterip.store.StoreConflictException;
import io.github.clusterip.store.StoreEntry;
import io.github.clusterip.store.StoreEvent;
import io.github.clusterip.store.StoreLayout;
import io.github.clusterip.store.StoreListener;
import io.github.clusterip.store.StoreSnapshot;
import io.github.clusterip.store.StoreUnavailableException;
import io.github.clusterip.store.StoreValueException;
import io.github.clusterip.store.StoreWatch;
import io.github.clusterip.store.StoreWrite;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The engine of the shared allocators: an index space {@code [0, size)} with Kubernetes' two
 * bands (static {@code [0, offset)}, dynamic {@code [offset, size)}), kept in a
 * {@link KeyValueStore} in one of the {@link StoreLayout layouts}, with a local view of it that a
 * watch keeps current.
 *
 * <p>The view only chooses: every allocation and release is a commit conditioned on the mod
 * revision of the key that holds its bit, so that a stale view costs a retry, never a duplicate.
 * The lock guards the view and is never held across a call to the store, so that threads of one
 * JVM commit to different blocks at once; in the range-object layout a second lock makes the
 * changes of one instance run one at a time, as kube-apiserver's do.
 *
 * <p>Keys, under the prefix {@code P} and the range id {@code R} (the range text with {@code /}
 * as {@code _}): {@code P meta/R} (layout, block size and range, written once),
 * {@code P ranges/R} (layout {@link StoreLayout#RANGE_OBJECT}), {@code P blocks/R/XXXXXXXX}
 * (layout {@link StoreLayout#BLOCKS}, the block number in 8 hex digits), and
 * {@code P owners/R/NAME} (the owner of the allocation {@code NAME}, an address or a port, as
 * {@code namespace/name}).
 */
final class SharedRange implements AutoCloseable {

    /** The largest index space: 2^24 (a /8 of IPv4, a /104 of IPv6, 16,384 blocks of 1024). */
    static final int MAX_SIZE = 1 << 24;

    /** The default number of bits in a block. */
    static final int DEFAULT_BLOCK_BITS = 1024;

    /** The default number of commits an allocation may lose before it gives up. */
    static final int DEFAULT_MAX_ATTEMPTS = 64;

    private static final byte[] BLOCK_MAGIC = {'C', 'I', 'P', 'B', 1};
    private static final byte[] RANGE_MAGIC = {'C', 'I', 'P', 'R', 1};

    private final KeyValueStore store;
    private final String rangeText;
    private final int size;
    private final int offset;
    private final StoreLayout layout;
    private final int blockBits;
    private final int blockCount;
    private final String metaKey;
    private final String dataPrefix;
    private final String ownerPrefix;
    private final RandomGenerator random;
    private final int maxAttempts;
    private final IntFunction<String> names;

    private final Object lock = new Object();
    /** Held around each change in the range-object layout; null in the blocks layout. */
    private final ReentrantLock serial;
    /** Per block: its words, or null while the block is absent from the store (all free). */
    private final long[][] words;
    /** Per block: the mod revision to condition a commit on (0: absent). */
    private final long[] revisions;
    /** Per block: the revision of the newest version of it seen (a deletion included). */
    private final long[] seen;
    /** Per block: bits set. */
    private final int[] used;
    /** Per block: why its value cannot be read, or null. */
    private final String[] corrupt;
    private long usedTotal;
    /** The revision of the last whole read of the range. */
    private long loadedRevision;
    /** Whether the view may have missed changes and must be read again before it is trusted. */
    private boolean stale = true;
    private StoreWatch watch;
    private boolean closed;

    SharedRange(KeyValueStore store, String prefix, String rangeText, int size, int offset,
            StoreLayout layout, int blockBits, RandomGenerator random, int maxAttempts, IntFunction<String> names) {
        this.store = Objects.requireNonNull(store, "store");
        this.rangeText = rangeText;
        this.size = size;
        this.offset = Math.min(offset, size);
        this.layout = Objects.requireNonNull(layout, "layout");
        this.blockBits = layout == StoreLayout.BLOCKS ? blockBits : Math.max(64, roundUp64(size));
        this.blockCount = Math.max(1, (size + this.blockBits - 1) / this.blockBits);
        String id = rangeText.replace('/', '_');
        this.metaKey = prefix + "meta/" + id;
        this.dataPrefix = layout == StoreLayout.BLOCKS ? prefix + "blocks/" + id + "/" : prefix + "ranges/" + id;
        this.ownerPrefix = prefix + "owners/" + id + "/";
        this.random = random;
        this.maxAttempts = maxAttempts;
        this.names = names;
        this.serial = layout == StoreLayout.RANGE_OBJECT ? new ReentrantLock() : null;
        this.words = new long[blockCount][];
        this.revisions = new long[blockCount];
        this.seen = new long[blockCount];
        this.used = new int[blockCount];
        this.corrupt = new String[blockCount];
    }

    private static int roundUp64(int n) {
        return (n + 63) & ~63;
    }

    /** Checks or writes the meta key, reads the range and starts the watch. */
    void open() {
        String meta = "layout=" + layout + "\nblockBits=" + blockBits + "\nrange=" + rangeText + "\n";
        byte[] metaBytes = meta.getBytes(StandardCharsets.UTF_8);
        Optional<StoreEntry> existing = store.get(metaKey);
        if (existing.isEmpty()) {
            OptionalLong created = store.commit(List.of(StoreCondition.absent(metaKey)),
                    List.of(StoreWrite.put(metaKey, metaBytes)));
            if (created.isEmpty()) {
                existing = store.get(metaKey);
            }
        }
        if (existing.isPresent()) {
            String found = new String(existing.get().value(), StandardCharsets.UTF_8);
            if (!found.equals(meta)) {
                throw new StoreValueException(metaKey, "the range is stored as "
                        + Messages.quote(found) + ", not as " + Messages.quote(meta)
                        + "; open it with the layout and block size it was created with");
            }
        }
        reload();
    }

    // ------------------------------------------------------------------ the view

    /**
     * Reads the whole range again, at one revision, and restarts the watch after it. The watch is
     * closed and opened outside the lock: a store may hold a lock of its own while it calls the
     * listener, which takes this one.
     */
    private void reload() {
        StoreSnapshot snapshot = store.list(dataPrefix);
        StoreWatch old;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the allocator of " + rangeText + " is closed");
            }
            // a concurrent reload may have applied a newer snapshot already: never go back
            // nor a block that a commit or the watch brought past the snapshot meanwhile
            if (snapshot.revision() >= loadedRevision) {
                long rev = snapshot.revision();
                loadedRevision = rev;
                StoreEntry[] found = new StoreEntry[blockCount];
                for (StoreEntry e : snapshot.entries()) {
                    int b = blockOf(e.key());
                    if (b >= 0) {
                        found[b] = e;
                    }
                }
                for (int b = 0; b < blockCount; b++) {
                    StoreEntry e = found[b];
                    if (seen[b] > rev) {
                        continue;
                    }
                    if (e == null) {
                        setBlock(b, null, 0, rev, null);
                        continue;
                    }
                    try {
                        setBlock(b, decode(b, e.key(), e.value()), e.modRevision(), rev, null);
                    } catch (StoreValueException bad) {
                        setBlock(b, null, e.modRevision(), rev, bad.problem());
                    }
                }
            }
            stale = false;
            old = watch;
            watch = null;
        }
        if (old != null) {
            old.close();
        }
        StoreWatch fresh = store.watch(dataPrefix, snapshot.revision() + 1, new Listener());
        StoreWatch extra = null;
        synchronized (lock) {
            if (closed || watch != null) {
                // closed meanwhile, or another thread's reload started its watch first
                extra = fresh;
            } else {
                watch = fresh;
            }
        }
        if (extra != null) {
            extra.close();
        }
    }

    /** Reads one block again (after a lost commit). */
    private void reloadBlock(int b) {
        String key = blockKey(b);
        Optional<StoreEntry> e = store.get(key);
        synchronized (lock) {
            if (e.isEmpty()) {
                // absent now: only newer than what we hold if we held it present
                if (revisions[b] != 0) {
                    setBlock(b, null, 0, seen[b], null);
                }
                return;
            }
            StoreEntry entry = e.get();
            if (entry.modRevision() <= seen[b] && revisions[b] == entry.modRevision()) {
                return;
            }
            if (entry.modRevision() < seen[b]) {
                return;
            }
            try {
                setBlock(b, decode(b, key, entry.value()), entry.modRevision(), entry.modRevision(), null);
            } catch (StoreValueException bad) {
                setBlock(b, null, entry.modRevision(), entry.modRevision(), bad.problem());
            }
        }
    }

    /** Under the lock. */
    private void setBlock(int b, long[] w, long revision, long seenRevision, String problem) {
        usedTotal -= used[b];
        words[b] = w;
        int count = 0;
        if (w != null) {
            for (long x : w) {
                count += Long.bitCount(x);
            }
        }
        used[b] = count;
        usedTotal += count;
        revisions[b] = revision;
        seen[b] = Math.max(seen[b], seenRevision);
        corrupt[b] = problem;
    }

    private void ensureFresh() {
        boolean reread;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the allocator of " + rangeText + " is closed");
            }
            reread = stale;
        }
        if (reread) {
            reload();
        }
    }

    /** Marks the view stale after the store failed us: it is read again before the next change. */
    private StoreUnavailableException cutOff(StoreUnavailableException e) {
        synchronized (lock) {
            stale = true;
        }
        return e;
    }

    private final class Listener implements StoreListener {
        @Override
        public void onEvents(List<StoreEvent> events) {
            synchronized (lock) {
                for (StoreEvent e : events) {
                    int b = blockOf(e.key());
                    if (b < 0 || e.modRevision() <= seen[b]) {
                        continue;
                    }
                    if (e.isDelete()) {
                        setBlock(b, null, 0, e.modRevision(), null);
                        continue;
                    }
                    try {
                        setBlock(b, decode(b, e.key(), e.value()), e.modRevision(), e.modRevision(), null);
                    } catch (StoreValueException bad) {
                        setBlock(b, null, e.modRevision(), e.modRevision(), bad.problem());
                    }
                }
            }
        }

        @Override
        public void onReset(String reason) {
            synchronized (lock) {
                stale = true;
            }
        }
    }

    // ------------------------------------------------------------------ operations

    /** Allocates a free index: the dynamic band first, then the static band. */
    int allocateNext(Owner owner, Supplier<RuntimeException> full) {
        return serially(() -> doAllocateNext(owner, full));
    }

    private int doAllocateNext(Owner owner, Supplier<RuntimeException> full) {
        ensureFresh();
        boolean reread = false;
        for (int attempt = 0; attempt < maxAttempts; ) {
            int index;
            Change change;
            synchronized (lock) {
                checkNoCorruptBlock();
                index = pick();
                if (index < 0) {
                    change = null;
                } else {
                    change = change(index, true);
                }
            }
            if (change == null) {
                if (reread) {
                    throw full.get();
                }
                // the view says full: make sure before saying so
                reread = true;
                reload();
                continue;
            }
            if (commit(change, owner)) {
                return index;
            }
            attempt++;
            reloadBlock(change.block);
            backOff(attempt);
        }
        throw conflict("allocate from " + rangeText);
    }

    /**
     * Allocates a given index.
     *
     * @return false if it is allocated already
     */
    boolean allocate(int index, Owner owner) {
        return serially(() -> doAllocate(index, owner));
    }

    private boolean doAllocate(int index, Owner owner) {
        return changeBit(index, true, owner, "allocate ");
    }

    /**
     * Releases an index.
     *
     * @return false if it was not allocated
     */
    boolean release(int index) {
        return serially(() -> doRelease(index));
    }

    private boolean doRelease(int index) {
        return changeBit(index, false, null, "release ");
    }

    /**
     * Sets or clears one bit, retrying lost races on a fresh read of its block.
     *
     * @return false if the bit already had that value (checked against a fresh read)
     */
    private boolean changeBit(int index, boolean set, Owner owner, String verb) {
        ensureFresh();
        int b = index / blockBits;
        boolean reread = false;
        for (int attempt = 0; attempt < maxAttempts; ) {
            Change change;
            synchronized (lock) {
                change = isSet(index) == set ? null : change(index, set);
            }
            if (change == null) {
                if (reread) {
                    return false;
                }
                reread = true;
                reloadBlock(b);
                continue;
            }
            if (commit(change, owner)) {
                return true;
            }
            attempt++;
            reloadBlock(b);
            backOff(attempt);
        }
        throw conflict(verb + names.apply(index) + " in " + rangeText);
    }

    /**
     * Releases an index only if its owner's key still names {@code expected} (null: no owner
     * key), in one commit conditioned on both keys: a repair frees what it found leaked, never
     * what another writer allocated again meanwhile.
     *
     * @return false if it is not allocated, or not to that owner
     */
    boolean releaseIfOwner(int index, Owner expected) {
        return serially(() -> doReleaseIfOwner(index, expected));
    }

    private boolean doReleaseIfOwner(int index, Owner expected) {
        ensureFresh();
        int b = index / blockBits;
        String ownerKey = ownerPrefix + names.apply(index);
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            reloadBlock(b);
            Optional<StoreEntry> ownerEntry = store.get(ownerKey);
            Owner actual = ownerEntry.map(e -> parseOwner(ownerKey, e.value())).orElse(null);
            if (!Objects.equals(actual, expected)) {
                return false;
            }
            Change change;
            synchronized (lock) {
                if (!isSet(index)) {
                    return false;
                }
                change = change(index, false);
            }
            String key = blockKey(b);
            OptionalLong rev;
            try {
                rev = store.commit(List.of(new StoreCondition(key, change.revision),
                                new StoreCondition(ownerKey, ownerEntry.map(StoreEntry::modRevision).orElse(0L))),
                        List.of(StoreWrite.put(key, encode(b, change.words)), StoreWrite.delete(ownerKey)));
            } catch (StoreUnavailableException e) {
                throw cutOff(e);
            }
            if (rev.isPresent()) {
                synchronized (lock) {
                    if (rev.getAsLong() > seen[b]) {
                        setBlock(b, change.words, rev.getAsLong(), rev.getAsLong(), null);
                    }
                }
                return true;
            }
            backOff(attempt + 1);
        }
        throw conflict("release " + names.apply(index) + " in " + rangeText);
    }

    /** How many blocks one commit of a restore writes: below etcd's default of 128 operations. */
    private static final int RESTORE_BATCH = 64;

    /**
     * Writes a whole bitmap (little-endian words of the index space) into the range, which must be
     * empty: in commits of up to {@value #RESTORE_BATCH} blocks, each conditioned on its blocks
     * being absent still.
     */
    void restore(long[] all) {
        reload();
        synchronized (lock) {
            if (usedTotal != 0) {
                throw new IllegalStateException("range " + rangeText + " holds " + usedTotal
                        + " allocations in the store; a snapshot is restored only into an empty range");
            }
        }
        List<StoreCondition> ifs = new ArrayList<>();
        List<StoreWrite> writes = new ArrayList<>();
        int wordsPerBlock = blockBits / 64;
        for (int b = 0; b < blockCount; b++) {
            long[] w = new long[wordsPerBlock];
            int from = b * wordsPerBlock;
            System.arraycopy(all, from, w, 0, Math.max(0, Math.min(wordsPerBlock, all.length - from)));
            boolean any = false;
            for (long x : w) {
                any |= x != 0;
            }
            if (!any) {
                continue;
            }
            String key = blockKey(b);
            long rev;
            synchronized (lock) {
                rev = revisions[b];
            }
            ifs.add(new StoreCondition(key, rev));
            writes.add(StoreWrite.put(key, encode(b, w)));
            if (writes.size() == RESTORE_BATCH) {
                restoreBatch(ifs, writes);
            }
        }
        if (!writes.isEmpty()) {
            restoreBatch(ifs, writes);
        }
        reload();
    }

    private void restoreBatch(List<StoreCondition> ifs, List<StoreWrite> writes) {
        OptionalLong rev;
        try {
            rev = store.commit(ifs, writes);
        } catch (StoreUnavailableException e) {
            throw cutOff(e);
        }
        if (rev.isEmpty()) {
            throw new StoreConflictException("could not restore into " + rangeText
                    + ": another writer changed the range meanwhile; the blocks written before stay");
        }
        ifs.clear();
        writes.clear();
    }

    /**
     * Runs a change: in the {@link StoreLayout#RANGE_OBJECT} layout one at a time per instance,
     * as kube-apiserver's storage allocator holds its mutex around each {@code GuaranteedUpdate}
     * (so that only other processes conflict); in the blocks layout at once.
     */
    private <T> T serially(Supplier<T> change) {
        if (serial == null) {
            return change.get();
        }
        serial.lock();
        try {
            return change.get();
        } finally {
            serial.unlock();
        }
    }

    private StoreConflictException conflict(String what) {
        return new StoreConflictException("could not " + what + ": lost the race for the same key "
                + maxAttempts + " times in a row");
    }

    /**
     * After a few lost races in the blocks layout, waits a little, longer each time, so that
     * writers stuck on one block spread out. The range-object layout retries at once, as
     * kube-apiserver's {@code GuaranteedUpdate} does.
     */
    private void backOff(int attempt) {
        if (layout == StoreLayout.BLOCKS && attempt > 2) {
            LockSupport.parkNanos(Math.min(20_000_000L, 50_000L << Math.min(attempt, 9)));
        }
    }

    /** A planned change of one bit: the new value of its block, and what it is conditioned on. */
    private record Change(int block, int index, boolean set, long[] words, long revision) {
    }

    /** Under the lock. */
    private Change change(int index, boolean set) {
        int b = index / blockBits;
        if (corrupt[b] != null) {
            throw new StoreValueException(blockKey(b), corrupt[b]);
        }
        long[] w = words[b] == null ? new long[blockBits / 64] : words[b].clone();
        int bit = index - b * blockBits;
        if (set) {
            w[bit >>> 6] |= 1L << bit;
        } else {
            w[bit >>> 6] &= ~(1L << bit);
        }
        return new Change(b, index, set, w, revisions[b]);
    }

    private boolean commit(Change change, Owner owner) {
        String key = blockKey(change.block);
        String ownerKey = ownerPrefix + names.apply(change.index);
        List<StoreWrite> writes = new ArrayList<>(2);
        writes.add(StoreWrite.put(key, encode(change.block, change.words)));
        if (!change.set) {
            writes.add(StoreWrite.delete(ownerKey));
        } else if (owner != null) {
            writes.add(StoreWrite.put(ownerKey, owner.toString().getBytes(StandardCharsets.UTF_8)));
        }
        OptionalLong rev;
        try {
            rev = store.commit(List.of(new StoreCondition(key, change.revision)), writes);
        } catch (StoreUnavailableException e) {
            throw cutOff(e);
        }
        if (rev.isEmpty()) {
            return false;
        }
        synchronized (lock) {
            if (rev.getAsLong() > seen[change.block]) {
                setBlock(change.block, change.words, rev.getAsLong(), rev.getAsLong(), null);
            }
        }
        return true;
    }

    /**
     * Under the lock: refuses to choose while a block cannot be read, rather than choose around
     * it and report a full range that is not.
     */
    private void checkNoCorruptBlock() {
        for (int b = 0; b < blockCount; b++) {
            if (corrupt[b] != null) {
                throw new StoreValueException(blockKey(b), corrupt[b]);
            }
        }
    }

    /** Under the lock: a free index, the dynamic band first, or -1. */
    private int pick() {
        int i = pickIn(offset, size);
        return i >= 0 ? i : pickIn(0, offset);
    }

    /**
     * Under the lock: a free index in [lo, hi). The range-object layout scans from a random
     * start and wraps, as Kubernetes' bitmap does; the blocks layout takes a free index uniformly
     * at random, so that writers in other JVMs, which see the same free indexes, rarely choose
     * the same block (a scan from a random start favours the free index after the longest run of
     * taken ones, and at a high fill every writer would crowd there).
     */
    private int pickIn(int lo, int hi) {
        if (lo >= hi) {
            return -1;
        }
        if (layout == StoreLayout.BLOCKS) {
            return pickUniform(lo, hi);
        }
        int start = lo + random.nextInt(hi - lo);
        int i = scan(start, hi);
        return i >= 0 ? i : scan(lo, start);
    }

    /** Under the lock: a free index of [lo, hi) drawn uniformly, or -1 if there is none. */
    private int pickUniform(int lo, int hi) {
        int firstBlock = lo / blockBits;
        int lastBlock = (hi - 1) / blockBits;
        long free = 0;
        for (int b = firstBlock; b <= lastBlock; b++) {
            free += freeIn(b, lo, hi);
        }
        if (free == 0) {
            return -1;
        }
        long k = random.nextLong(free);
        for (int b = firstBlock; b <= lastBlock; b++) {
            int f = freeIn(b, lo, hi);
            if (k >= f) {
                k -= f;
                continue;
            }
            int from = Math.max(lo, b * blockBits);
            int to = Math.min(hi, Math.min(size, (b + 1) * blockBits));
            for (int i = from; i < to; i++) {
                if (!isSetUnchecked(b, i) && k-- == 0) {
                    return i;
                }
            }
        }
        throw new IllegalStateException("free counts of " + rangeText + " do not match its bits");
    }

    /** Under the lock: the free indexes of block b within [lo, hi); a corrupt block has none. */
    private int freeIn(int b, int lo, int hi) {
        if (corrupt[b] != null) {
            return 0;
        }
        int from = Math.max(lo, b * blockBits);
        int to = Math.min(hi, Math.min(size, (b + 1) * blockBits));
        if (from >= to) {
            return 0;
        }
        if (from == b * blockBits && to == Math.min(size, (b + 1) * blockBits)) {
            return to - from - used[b];
        }
        int f = 0;
        for (int i = from; i < to; i++) {
            if (!isSetUnchecked(b, i)) {
                f++;
            }
        }
        return f;
    }

    private boolean isSetUnchecked(int b, int index) {
        long[] w = words[b];
        int bit = index - b * blockBits;
        return w != null && (w[bit >>> 6] & (1L << bit)) != 0;
    }

    /** Under the lock: the first free index in [from, to), or -1. */
    private int scan(int from, int to) {
        int i = from;
        while (i < to) {
            int b = i / blockBits;
            int blockEnd = Math.min(to, (b + 1) * blockBits);
            int inBlock = Math.min(size, (b + 1) * blockBits) - b * blockBits;
            long[] w = words[b];
            if (corrupt[b] != null || used[b] == inBlock) {
                i = blockEnd;
                continue;
            }
            if (w == null) {
                return i;
            }
            int base = b * blockBits;
            while (i < blockEnd) {
                int bit = i - base;
                long free = ~w[bit >>> 6] & (-1L << bit);
                if (free != 0) {
                    int found = base + ((bit >>> 6) << 6) + Long.numberOfTrailingZeros(free);
                    if (found < blockEnd) {
                        return found;
                    }
                    break;
                }
                i = base + (((bit >>> 6) + 1) << 6);
            }
            i = blockEnd;
        }
        return -1;
    }

    /** Under the lock. */
    private boolean isSet(int index) {
        int b = index / blockBits;
        if (corrupt[b] != null) {
            throw new StoreValueException(blockKey(b), corrupt[b]);
        }
        long[] w = words[b];
        int bit = index - b * blockBits;
        return w != null && (w[bit >>> 6] & (1L << bit)) != 0;
    }

    boolean isAllocated(int index) {
        ensureFresh();
        synchronized (lock) {
            return isSet(index);
        }
    }

    long used() {
        ensureFresh();
        synchronized (lock) {
            return usedTotal;
        }
    }

    /** Re-reads the range now. */
    void refresh() {
        reload();
    }

    /** The owner of an allocation, read from the store. */
    Optional<Owner> owner(int index) {
        String key = ownerPrefix + names.apply(index);
        Optional<StoreEntry> e = store.get(key);
        return e.map(entry -> parseOwner(key, entry.value()));
    }

    private static Owner parseOwner(String key, byte[] value) {
        String text = new String(value, StandardCharsets.UTF_8);
        try {
            return Owner.parse(text);
        } catch (IllegalArgumentException bad) {
            throw new StoreValueException(key, bad.getMessage());
        }
    }

    /** Every allocated index with its owner, as of one read of the store. */
    TreeMap<Integer, Optional<Owner>> allocations(java.util.function.ToIntFunction<String> indexOf) {
        reload();
        StoreSnapshot owners = store.list(ownerPrefix);
        TreeMap<Integer, Optional<Owner>> result = new TreeMap<>();
        synchronized (lock) {
            for (int b = 0; b < blockCount; b++) {
                if (corrupt[b] != null) {
                    throw new StoreValueException(blockKey(b), corrupt[b]);
                }
                long[] w = words[b];
                if (w == null) {
                    continue;
                }
                for (int k = 0; k < w.length; k++) {
                    long x = w[k];
                    while (x != 0) {
                        result.put(b * blockBits + (k << 6) + Long.numberOfTrailingZeros(x), Optional.empty());
                        x &= x - 1;
                    }
                }
            }
        }
        for (StoreEntry e : owners.entries()) {
            String name = e.key().substring(ownerPrefix.length());
            int index;
            try {
                index = indexOf.applyAsInt(name);
            } catch (IllegalArgumentException bad) {
                throw new StoreValueException(e.key(), "not an allocation of " + rangeText + ": " + bad.getMessage());
            }
            if (result.containsKey(index)) {
                result.put(index, Optional.of(parseOwner(e.key(), e.value())));
            }
        }
        return result;
    }

    /** The view as Kubernetes' RangeAllocation bitmap bytes (big-endian, no leading zeros). */
    byte[] bitmapBytes() {
        ensureFresh();
        synchronized (lock) {
            long[] all = new long[(size + 63) / 64];
            for (int b = 0; b < blockCount; b++) {
                if (corrupt[b] != null) {
                    throw new StoreValueException(blockKey(b), corrupt[b]);
                }
                if (words[b] != null) {
                    System.arraycopy(words[b], 0, all, b * blockBits / 64, Math.min(words[b].length, all.length - b * blockBits / 64));
                }
            }
            return BigEndianBitmap.toBytes(all);
        }
    }

    @Override
    public void close() {
        StoreWatch w;
        synchronized (lock) {
            closed = true;
            w = watch;
            watch = null;
        }
        if (w != null) {
            w.close();
        }
    }

    String rangeText() {
        return rangeText;
    }

    StoreLayout layout() {
        return layout;
    }

    int size() {
        return size;
    }

    // ------------------------------------------------------------------ keys and values

    private String blockKey(int b) {
        return layout == StoreLayout.BLOCKS ? dataPrefix + String.format("%08x", b) : dataPrefix;
    }

    /** The block a key of the data prefix names, or -1 if it names none (a neighbour's key). */
    private int blockOf(String key) {
        if (layout == StoreLayout.RANGE_OBJECT) {
            return key.equals(dataPrefix) ? 0 : -1;
        }
        if (!key.startsWith(dataPrefix) || key.length() != dataPrefix.length() + 8) {
            return -1;
        }
        int b = 0;
        for (int i = dataPrefix.length(); i < key.length(); i++) {
            int d = Character.digit(key.charAt(i), 16);
            if (d < 0 || Character.isUpperCase(key.charAt(i))) {
                return -1;
            }
            b = (b << 4) | d;
        }
        return b >= 0 && b < blockCount ? b : -1;
    }

    private byte[] encode(int b, long[] w) {
        byte[] range = rangeText.getBytes(StandardCharsets.UTF_8);
        if (layout == StoreLayout.RANGE_OBJECT) {
            byte[] data = BigEndianBitmap.toBytes(w);
            ByteBuffer buf = ByteBuffer.allocate(RANGE_MAGIC.length + 1 + range.length + data.length);
            buf.put(RANGE_MAGIC).put((byte) range.length).put(range).put(data);
            return buf.array();
        }
        ByteBuffer buf = ByteBuffer.allocate(BLOCK_MAGIC.length + 1 + range.length + 8 + w.length * 8);
        buf.put(BLOCK_MAGIC).put((byte) range.length).put(range).putInt(b).putInt(blockBits);
        for (long x : w) {
            buf.putLong(x);
        }
        return buf.array();
    }

    /** Reads a value, or throws naming the key and what is wrong; bounded by the block's size. */
    private long[] decode(int b, String key, byte[] value) {
        byte[] magic = layout == StoreLayout.BLOCKS ? BLOCK_MAGIC : RANGE_MAGIC;
        byte[] range = rangeText.getBytes(StandardCharsets.UTF_8);
        int header = magic.length + 1 + range.length;
        for (int i = 0; i < magic.length; i++) {
            if (i >= value.length || value[i] != magic[i]) {
                throw new StoreValueException(key, "not a clusterip " + layout + " value (it starts with "
                        + hexPrefix(value) + ")");
            }
        }
        if (value.length < header) {
            throw new StoreValueException(key, value.length + " bytes is too short for a "
                    + layout + " value of " + rangeText);
        }
        int len = value[magic.length] & 0xff;
        String found = new String(value, magic.length + 1, Math.min(len, value.length - magic.length - 1), StandardCharsets.UTF_8);
        if (len != range.length || !found.equals(rangeText)) {
            throw new StoreValueException(key, "the value is for range " + Messages.quote(found) + ", not " + rangeText);
        }
        long[] w = new long[blockBits / 64];
        if (layout == StoreLayout.BLOCKS) {
            int expected = header + 8 + w.length * 8;
            if (value.length != expected) {
                throw new StoreValueException(key, "a block of " + blockBits + " bits takes " + expected
                        + " bytes, not " + value.length);
            }
            ByteBuffer buf = ByteBuffer.wrap(value, header, value.length - header);
            int index = buf.getInt();
            int bits = buf.getInt();
            if (index != b || bits != blockBits) {
                throw new StoreValueException(key, "the value is block " + index + " of " + bits
                        + " bits, not block " + b + " of " + blockBits);
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = buf.getLong();
            }
        } else {
            int dataLen = value.length - header;
            if (dataLen > (size + 7) / 8) {
                throw new StoreValueException(key, "the bitmap has " + dataLen + " bytes, more than the "
                        + (size + 7) / 8 + " of " + rangeText);
            }
            if (dataLen > 0 && value[header] == 0) {
                throw new StoreValueException(key, "the bitmap starts with a zero byte, which Kubernetes' form never does");
            }
            try {
                w = BigEndianBitmap.toWords(Arrays.copyOfRange(value, header, value.length), size, rangeText, "values");
            } catch (IllegalArgumentException beyond) {
                throw new StoreValueException(key, beyond.getMessage());
            }
        }
        int inBlock = Math.min(size - b * blockBits, blockBits);
        for (int bit = inBlock; bit < blockBits; bit++) {
            if ((w[bit >>> 6] & (1L << bit)) != 0) {
                throw new StoreValueException(key, "bit " + (b * blockBits + bit) + " is set, beyond the "
                        + size + " usable values of " + rangeText);
            }
        }
        return w;
    }

    private static String hexPrefix(byte[] value) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, value.length); i++) {
            sb.append(String.format("%02x", value[i]));
        }
        return sb.length() == 0 ? "nothing" : "0x" + sb;
    }
}
