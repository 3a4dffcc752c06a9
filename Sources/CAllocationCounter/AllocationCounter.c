// Counts the calling thread's heap allocations, for `bcache bench local` (allocs/op).
//
// The executable that links this target defines malloc and its siblings, so every allocation
// in the process (the Swift runtime's included) comes here first: the definitions count in a
// thread-local variable (no atomic, nothing shared between threads) and forward to glibc's own
// allocator through its exported `__libc_*` entry points; free is glibc's, unchanged. The
// thread-local lives in the executable's static TLS block, so reading it allocates nothing.
//
// Under a sanitizer the sanitizer's runtime owns malloc: nothing is interposed, and
// `bcache_allocation_counting_available` says 0.
#include "CAllocationCounter.h"

#include <errno.h>
#include <stddef.h>

#ifndef __has_feature
#define __has_feature(feature) 0
#endif

#if defined(__linux__) && defined(__GLIBC__) && !__has_feature(address_sanitizer) \
    && !__has_feature(thread_sanitizer) && !__has_feature(memory_sanitizer) && !defined(__SANITIZE_ADDRESS__) \
    && !defined(__SANITIZE_THREAD__)
#define BCACHE_COUNTS_ALLOCATIONS 1

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Thread_local uint64_t allocations;

void *malloc(size_t size) {
    allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    allocations++;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    allocations++;
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    allocations++;
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    allocations++;
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    allocations++;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

int bcache_allocation_counting_available(void) { return 1; }

uint64_t bcache_thread_allocation_count(void) { return allocations; }

#else

int bcache_allocation_counting_available(void) { return 0; }

uint64_t bcache_thread_allocation_count(void) { return 0; }

#endif
