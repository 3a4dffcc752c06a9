#ifndef BCACHE_ALLOCATION_COUNTER_H
#define BCACHE_ALLOCATION_COUNTER_H

#include <stdint.h>

/// 1 when this build interposes malloc and counts allocations (Linux with glibc, no
/// sanitizer), 0 otherwise.
int bcache_allocation_counting_available(void);

/// The allocations the calling thread has made since it started (malloc, calloc, realloc,
/// posix_memalign, aligned_alloc, memalign); 0 when counting is not available.
uint64_t bcache_thread_allocation_count(void);

#endif
