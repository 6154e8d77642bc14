#ifndef GRIDSIM_CMIMALLOC_SHIM_H
#define GRIDSIM_CMIMALLOC_SHIM_H

#include <mimalloc.h>
#include <stdlib.h>

/// Whether the process's malloc is mimalloc's: linking libmimalloc ahead of the C library
/// overrides malloc and free for the whole process (the Swift runtime included) on Linux.
static inline int cmimalloc_serves_malloc(void) {
    void *probe = malloc(64);
    int answer = mi_is_in_heap_region(probe);
    free(probe);
    return answer;
}

/// Has mimalloc back its memory with 2 MiB pages, unless `MIMALLOC_LARGE_OS_PAGES` sets the
/// choice: it then asks the kernel for transparent huge pages (`madvise`) on what it maps from
/// now on. A simulation's heap of gigabytes, read all over, otherwise spends a tenth of a
/// sharding stress run in TLB misses. `mi_option_is_enabled(mi_option_large_os_pages)` tells
/// whether they are on.
static inline void cmimalloc_prefer_large_os_pages(void) {
    if (getenv("MIMALLOC_LARGE_OS_PAGES") == NULL) mi_option_enable(mi_option_large_os_pages);
}

#endif
