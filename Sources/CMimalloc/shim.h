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

#endif
