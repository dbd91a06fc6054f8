/* fuzz_alloc.c - the largest allocation inside a window; see fuzz_alloc.h. */
#include "fuzz_alloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FUZZ_SANITIZER_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define FUZZ_SANITIZER_HOOKS 1
#endif
#endif

static volatile bool active;
static size_t limit_bytes;
static size_t largest;
static const char *what_now;

/* Called on every allocation; must not allocate itself unless it aborts. */
static void
note(size_t size)
{
    char msg[256];
    int n;

    if (!active)
        return;
    if (size > largest)
        largest = size;
    if (size <= limit_bytes)
        return;
    active = false;
    n = snprintf(msg, sizeof msg, "fuzz_alloc: %s asked for %zu bytes in one "
                 "allocation (limit %zu): an unbounded string or array?\n",
                 what_now, size, limit_bytes);
    if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0) {
        /* Nothing else to do: abort below says it anyway. */
    }
    abort();
}

#ifdef FUZZ_SANITIZER_HOOKS
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));

static void
on_malloc(const volatile void *p, size_t size)
{
    (void)p;
    note(size);
}

static void
on_free(const volatile void *p)
{
    (void)p;
}

static void
install_hooks(void)
{
    static bool installed;

    if (!installed) {
        if (!__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free)) {
            fprintf(stderr, "fuzz_alloc: the sanitizer refused the hooks\n");
            abort();
        }
        installed = true;
    }
}
#else
/* glibc's own entry points, which its malloc, calloc and realloc wrap. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

void *
malloc(size_t n)
{
    note(n);
    return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
    size_t total;

    note(__builtin_mul_overflow(n, size, &total) ? SIZE_MAX : total);
    return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
    note(n);
    return __libc_realloc(p, n);
}

static void
install_hooks(void)
{
}
#endif

void
fuzz_alloc_begin(const char *what, size_t limit)
{
    install_hooks();
    what_now = what;
    limit_bytes = limit;
    largest = 0;
    active = true;
}

size_t
fuzz_alloc_end(void)
{
    active = false;
    return largest;
}
