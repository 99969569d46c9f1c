#define _GNU_SOURCE
#include <malloc.h>
#include "CShims.h"

void cshim_malloc_tune(int mmap_threshold, int arena_max) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_ARENA_MAX, arena_max);
}
