#define _GNU_SOURCE
#include <malloc.h>
#include "CShims.h"

// Release builds link mimalloc (Package.swift), which takes over malloc and free for the whole process, the
// Swift runtime's and libcurl's allocations included: ~7% of a unary request's instructions were glibc's
// malloc and free. Debug builds, which the sanitizers instrument, keep glibc's.
#ifdef GATEWAY_MIMALLOC
#include <mimalloc.h>

void cshim_malloc_tune(int mmap_threshold, int arena_max) {
    (void)mmap_threshold;
    (void)arena_max;
    // Freed pages go back to the system at once instead of after 25 ms (500 ms for a segment): mimalloc
    // decommits late only when the thread allocates again, so after a burst of large bodies an idle
    // loop would hold them for good.
    mi_option_set(mi_option_decommit_delay, 0);
    mi_option_set(mi_option_segment_decommit_delay, 0);
}
#else
void cshim_malloc_tune(int mmap_threshold, int arena_max) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_ARENA_MAX, arena_max);
}
#endif
