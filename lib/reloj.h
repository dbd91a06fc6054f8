/* reloj.h - the library's one clock: monotonic milliseconds, for deadlines. */
#ifndef INVENTARIO_LIB_RELOJ_H
#define INVENTARIO_LIB_RELOJ_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC, which nobody sets (a vDSO call, no
 * system call). */
static inline int64_t
reloj_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
