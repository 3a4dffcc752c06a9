#ifndef BCACHE_CPREFETCH_SHIM_H
#define BCACHE_CPREFETCH_SHIM_H

// A hint that the cache line at `address` will be read soon (Clang's __builtin_prefetch, which
// Swift does not expose): the store asks for an entry's value lines while the line with its key
// is still on its way, so that the misses overlap. Never faults, whatever the address.
static inline void bcache_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
