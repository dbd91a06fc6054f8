/* estad.h - what one client saw: per operation, latencies and how calls ended.
 *
 * Each client fills its own struct estad without locks; the run merges
 * them at the end with estad_sumar.  A struct estad is plain data (no
 * pointers), so a forked client can hand it to its parent as bytes.
 */
#ifndef STRESS_ESTAD_H
#define STRESS_ESTAD_H

#include <stdint.h>

#include "histo.h"
#include "mezcla.h"
#include "resultado.h"

struct estad_op {
    struct histo h;                 /* latency of every call, failed ones too */
    uint64_t     res[RES_CUANTOS];  /* how the calls ended */
};

struct estad {
    struct estad_op op[OP_N];
    uint64_t        t0, t1;         /* the client's measured window, reloj_ns */
};

void estad_init(struct estad *e);
void estad_anotar(struct estad *e, enum op o, enum resultado r, uint64_t ns);
/* dst += src; the window becomes the union of both. */
void estad_sumar(struct estad *dst, const struct estad *src);
/* Calls of every operation, and those among them that failed at the RPC
 * level or answered INVALIDO or ERROR_INTERNO (never expected from us). */
uint64_t estad_total(const struct estad *e);
uint64_t estad_errores(const struct estad *e);
/* The window in seconds (0 if nothing was measured). */
double estad_segundos(const struct estad *e);

#endif
