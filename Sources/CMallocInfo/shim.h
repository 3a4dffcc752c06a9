#ifndef BCACHE_CMALLOCINFO_SHIM_H
#define BCACHE_CMALLOCINFO_SHIM_H

// What the allocator holds, for the benchmarks' memory figures: resident memory (RSS) is not
// what the program has allocated (glibc keeps freed pages in its arenas), so a memory bound is
// checked against both. glibc 2.33 and later only (mallinfo2); elsewhere every figure is -1.

#include <stdint.h>
#if defined(__linux__)
#include <features.h>
#endif

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>

/// Bytes handed out by malloc and not yet freed: chunks in the arenas plus mmapped blocks.
static inline int64_t bcache_malloc_live_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return (int64_t)(info.uordblks + info.hblkhd);
}

/// Bytes malloc holds from the system: the arenas (live or free) plus mmapped blocks.
static inline int64_t bcache_malloc_held_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return (int64_t)(info.arena + info.hblkhd);
}
#else
static inline int64_t bcache_malloc_live_bytes(void) { return -1; }
static inline int64_t bcache_malloc_held_bytes(void) { return -1; }
#endif

#endif
