#ifndef GRIDSIM_CMIMALLOC_SHIM_H
#define GRIDSIM_CMIMALLOC_SHIM_H

#include <mimalloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/// Whether the process's malloc is mimalloc's: linking libmimalloc ahead of the C library
/// overrides malloc and free for the whole process (the Swift runtime included) on Linux.
/// Ask before `cmimalloc_start_prefaulting`: its arena lies where the kernel puts a large
/// mapping, near the top of the address space, above the 20 TiB that mimalloc 2.0's segment map
/// covers, and `mi_is_in_heap_region` answers 0 for mimalloc's own blocks there (a 40 s sharded
/// run's last malloc already came from the arena).
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

/// mimalloc's segments, and the blocks of its arenas, are 32 MiB.
static const size_t cmimalloc_segment_bytes = (size_t)32 << 20;

/// How far ahead of mimalloc `gridsim` and the benchmarks have the prefaulting thread work
/// unless told otherwise: enough for the largest burst of the sharding stress run (a map
/// doubling).
static const size_t cmimalloc_default_prefault_lead_bytes = (size_t)256 << 20;

/// An arena that `cmimalloc_start_prefaulting` gave mimalloc and populates ahead of it.
typedef struct {
    char *start;
    size_t segmentCount;
    size_t leadSegments;
} cmimalloc_prefaulted_arena;

/// Whether mimalloc has written the header of the arena's segment `index`: a nonzero word among
/// its first 512 bytes (a page never written reads as zeros). The header may be being written
/// while this reads it (aligned 8-byte loads, so each word is old or new); the answer only
/// decides how far ahead to populate.
static inline int cmimalloc_segment_in_use(const cmimalloc_prefaulted_arena *arena, size_t index) {
    const uint64_t *words = (const uint64_t *)(arena->start + index * cmimalloc_segment_bytes);
    for (int word = 0; word < 64; word++) {
        if (__atomic_load_n(&words[word], __ATOMIC_RELAXED) != 0) return 1;
    }
    return 0;
}

/// The populating thread: keeps the segments up to `leadSegments` past the last one in use
/// faulted in with `MADV_POPULATE_WRITE`, which has the kernel allocate and zero the pages here
/// and leaves the contents of pages already there alone; checks again every millisecond. It runs
/// at idle priority (`SCHED_IDLE`, Linux's 5), so it takes only a core nothing else wants: where
/// it falls behind, the allocating thread faults its pages in itself, as without it.
static void *cmimalloc_prefault_loop(void *argument) {
    const cmimalloc_prefaulted_arena arena = *(cmimalloc_prefaulted_arena *)argument;
    free(argument);
    const struct sched_param idle = { 0 };
    pthread_setschedparam(pthread_self(), 5 /* SCHED_IDLE */, &idle);
    const struct timespec pause = { 0, 1000000 };
    size_t populated = 0;
    while (populated < arena.segmentCount) {
        size_t used = populated;
        while (used > 0 && !cmimalloc_segment_in_use(&arena, used - 1)) used--;
        size_t target = used + arena.leadSegments;
        if (target > arena.segmentCount) target = arena.segmentCount;
        if (populated >= target) {
            nanosleep(&pause, NULL);
            continue;
        }
        for (; populated < target; populated++) {
            madvise(arena.start + populated * cmimalloc_segment_bytes, cmimalloc_segment_bytes, 23 /* MADV_POPULATE_WRITE */);
        }
    }
    return NULL;
}

/// Moves the zeroing of fresh memory off the simulation's thread. Reserves address space the
/// size of physical memory (nothing resident) and gives it to mimalloc as an arena it allocates
/// from before asking the kernel, on transparent huge pages when mimalloc's large OS pages are
/// on (so call it after `cmimalloc_prefer_large_os_pages`); then starts a thread that keeps
/// `leadBytes` past the arena's last segment in use faulted in, so that the allocating thread
/// finds its pages ready. On the 2-core VMs measured, the kernel zeroing pages on first touch
/// was 6–13 % of the sharding stress run. Memory the arena gets back from mimalloc stays
/// resident. Call once, before the run allocates much. Returns 1 when the thread runs; 0 when
/// the reservation failed (nothing changed) or the thread could not start (mimalloc then
/// allocates from the arena as it is).
static inline int cmimalloc_start_prefaulting(size_t leadBytes) {
    const size_t physicalBytes = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
    const size_t reserveBytes = physicalBytes / cmimalloc_segment_bytes * cmimalloc_segment_bytes;
    if (reserveBytes == 0 || leadBytes < cmimalloc_segment_bytes) return 0;
    char *mapped = mmap(NULL, reserveBytes + cmimalloc_segment_bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapped == MAP_FAILED) return 0;
    char *start = (char *)(((uintptr_t)mapped + cmimalloc_segment_bytes - 1) & ~(uintptr_t)(cmimalloc_segment_bytes - 1));
    cmimalloc_prefaulted_arena *arena = malloc(sizeof *arena);
    if (arena == NULL) {
        munmap(mapped, reserveBytes + cmimalloc_segment_bytes);
        return 0;
    }
    *arena = (cmimalloc_prefaulted_arena){ start, reserveBytes / cmimalloc_segment_bytes, leadBytes / cmimalloc_segment_bytes };
    if (mi_option_is_enabled(mi_option_large_os_pages)) madvise(start, reserveBytes, MADV_HUGEPAGE);
    if (!mi_manage_os_memory(start, reserveBytes, true, false, true, -1)) {
        free(arena);
        munmap(mapped, reserveBytes + cmimalloc_segment_bytes);
        return 0;
    }
    pthread_t thread;
    if (pthread_create(&thread, NULL, cmimalloc_prefault_loop, arena) != 0) {
        free(arena);
        return 0;
    }
    pthread_detach(thread);
    return 1;
}

#endif
