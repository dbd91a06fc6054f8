/* util.h - the stress tool's clock, random numbers and checked allocation.
 *
 * Small helpers every module of inventario-stress uses.  The clock is
 * CLOCK_MONOTONIC, which is shared by every thread and every process of the
 * machine, so timestamps taken by different clients (threads or forked
 * processes) can be compared: the churn check depends on that.  The random
 * generator is a per-client state (no hidden globals, no rand()), so clients
 * never contend on it and a run is repeatable from its --seed.
 */
#ifndef STRESS_UTIL_H
#define STRESS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t reloj_ns(void);

/* Sleeps for ns nanoseconds (restarting after signals until done, unless
 * the run was asked to stop). */
void dormir_ns(uint64_t ns);

/* xoshiro256** state; seeded with azar_init. */
struct azar {
    uint64_t s[4];
};

void     azar_init(struct azar *a, uint64_t semilla);
uint64_t azar_u64(struct azar *a);
/* Uniform in [0, n); n > 0. */
uint64_t azar_menor(struct azar *a, uint64_t n);
/* Uniform in [0, 1). */
double   azar_unidad(struct azar *a);

/* calloc/realloc that report the failure with the caller's words and
 * return NULL; callers check and take their error path. */
void *xcalloc(size_t n, size_t size, const char *para);
void *xrealloc(void *p, size_t n, size_t size, const char *para);

/* A short tag that tells this run apart from others on the same server
 * (6 hex digits from the time and the pid), written into buf (>= 8). */
void etiqueta_ejecucion(char *buf, size_t len);

#endif
