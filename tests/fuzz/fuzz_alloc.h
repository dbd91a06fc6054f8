/* fuzz_alloc.h - the largest heap allocation made while a window is open.
 *
 * The contract bounds every argument (inventario.x), so decoding one call
 * never needs more than a few hundred bytes.  The fuzz harnesses open a
 * window around each decode and abort if any single allocation inside it,
 * ours or libtirpc's, is larger than FUZZ_ALLOC_MAX: an unbounded string or
 * array in the .x (8 bytes on the wire asking for 2 GiB) fails at once,
 * before the allocation is even attempted where we can see it first.
 *
 * Under a sanitizer (libFuzzer builds, the ASan and TSan builds) the
 * sanitizer's allocator hooks see every allocation after it is made; in a
 * plain build malloc, calloc and realloc are interposed (the executable's
 * own definitions win over libc's for libtirpc too) and checked before.
 * Single-threaded use only: the harnesses run one input at a time.
 */
#ifndef INVENTARIO_FUZZ_ALLOC_H
#define INVENTARIO_FUZZ_ALLOC_H

#include <stddef.h>

/* Far above what any bounded argument needs (the largest, a nombre, takes
 * 257 bytes), far below what an unbounded one lets a client ask for. */
#define FUZZ_ALLOC_MAX ((size_t)64 * 1024)

/* Opens the window: from now on, an allocation larger than 'limit' aborts
 * the process with a message naming 'what'. */
void fuzz_alloc_begin(const char *what, size_t limit);

/* Closes the window; returns the largest allocation seen inside it. */
size_t fuzz_alloc_end(void);

#endif
