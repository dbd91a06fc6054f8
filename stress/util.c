/* util.c - clock, random numbers and checked allocation; see util.h. */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "trabajo.h"

uint64_t
reloj_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
dormir_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !trabajo_parar())
        ;
}

static uint64_t
splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void
azar_init(struct azar *a, uint64_t semilla)
{
    for (int i = 0; i < 4; i++)
        a->s[i] = splitmix(&semilla);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
azar_u64(struct azar *a)
{
    uint64_t *s = a->s;
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

uint64_t
azar_menor(struct azar *a, uint64_t n)
{
    /* Lemire's multiply-shift; the tiny bias is irrelevant for load. */
    return (uint64_t)(((unsigned __int128)azar_u64(a) * n) >> 64);
}

double
azar_unidad(struct azar *a)
{
    return (double)(azar_u64(a) >> 11) * 0x1.0p-53;
}

void *
xcalloc(size_t n, size_t size, const char *para)
{
    void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

    if (p == NULL)
        fprintf(stderr, "inventario-stress: sin memoria para %s\n", para);
    return p;
}

void *
xrealloc(void *p, size_t n, size_t size, const char *para)
{
    void *q;

    if (size != 0 && n > SIZE_MAX / size) {
        fprintf(stderr, "inventario-stress: demasiados elementos para %s\n", para);
        return NULL;
    }
    q = realloc(p, n * size == 0 ? 1 : n * size);
    if (q == NULL)
        fprintf(stderr, "inventario-stress: sin memoria para %s\n", para);
    return q;
}

void
etiqueta_ejecucion(char *buf, size_t len)
{
    struct timespec ts;
    uint64_t x;

    clock_gettime(CLOCK_REALTIME, &ts);
    x = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
        ((uint64_t)getpid() << 20);
    snprintf(buf, len, "%06llx", (unsigned long long)(splitmix(&x) & 0xFFFFFF));
}
